#!/bin/sh
# Join recorded segments into one MP4 on the Pi, without re-encoding (ffmpeg's concat demuxer,
# -c copy), and print it base64 on one line (clip.ts decodes it). The cut at FROM_S (seconds into
# the first segment) falls on the keyframe before it, as copying must: at most one GOP early.
#   RECORDING_PATH   the segments' folder    FROM_S, DURATION_S   where the clip starts and how long
#   "$@"             the segments' names, oldest first
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for name in "$@"; do
  case $name in */* | .*) echo "clip: not a segment name: $name" >&2; exit 2 ;; esac
  printf "file '%s/%s'\n" "$RECORDING_PATH" "$name"
done >"$work/list.txt"
ffmpeg -nostdin -hide_banner -loglevel error -f concat -safe 0 -ss "$FROM_S" -i "$work/list.txt" -t "$DURATION_S" \
  -map 0:v -c copy -movflags +faststart "$work/clip.mp4"
base64 -w0 <"$work/clip.mp4"
