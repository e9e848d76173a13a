# shellcheck shell=sh
# Whether what the camera source needs (CAMERA: a device or a file; empty: nothing) is there: 1 or 0.
if [ -z "$CAMERA" ] || [ -e "$CAMERA" ]; then echo 1; else echo 0; fi
