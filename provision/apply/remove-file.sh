#!/bin/sh
# Remove a file (the first argument) only if camfleet wrote it: its header carries the marker
# (the second argument).
if head -c 512 "$1" 2>/dev/null | grep -qF "$2"; then rm -f -- "$1"; fi
