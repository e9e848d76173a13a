# shellcheck shell=sh
# ffmpeg's H.264 encoders, one name a line; only when ENCODERS is 1 (it costs ffmpeg's start-up).
if [ "$ENCODERS" = 1 ] && command -v ffmpeg >/dev/null 2>&1; then
  ffmpeg -hide_banner -encoders 2>/dev/null | awk '$1 ~ /^V/ && /H\.264/ {print $2}'
fi
