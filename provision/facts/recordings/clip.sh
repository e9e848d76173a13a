#!/bin/sh
# Join recorded segments into one MP4 on the Pi, without re-encoding (ffmpeg's concat demuxer,
# -c copy), and print it base64 on one line (clip.ts decodes it). The cut at FROM_S (seconds into
# the first segment) falls on the keyframe at or before it, as copying must: at most one GOP early.
#   RECORDING_PATH   the segments' folder    FROM_S, DURATION_S   where the clip starts and how long
#   "$@"             the segments' names, oldest first
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for name in "$@"; do
  case $name in */* | .*) echo "clip: not a segment name: $name" >&2; exit 2 ;; esac
  printf "file '%s/%s'\n" "$RECORDING_PATH" "$name"
done >"$work/list.txt"
# Copying starts at a keyframe, and ffmpeg would take the first one after -ss: start at the last
# one at or before FROM_S instead (the first segment's keyframes, from its start) and run to the
# range's end, so the clip covers all of it and at most one keyframe interval more.
first="$RECORDING_PATH/$1"
start=$(ffprobe -v error -show_entries format=start_time -of csv=p=0 "$first")
keyframe=$(ffprobe -v error -select_streams v:0 -skip_frame nokey -show_entries frame=pts_time -of csv=p=0 "$first" |
  awk -v s="$start" -v f="$FROM_S" 'BEGIN { k = 0 } { t = $1 - s; if (t <= f + 0.0005) k = t } END { printf "%.4f", k }')
seek=$(awk -v k="$keyframe" 'BEGIN { k -= 0.0005; printf "%.4f", (k < 0 ? 0 : k) }')
length=$(awk -v d="$DURATION_S" -v f="$FROM_S" -v k="$keyframe" 'BEGIN { printf "%.4f", d + f - k }')
# -ss 0 is left out: given, ffmpeg took the first file's start for a seek and ran past -t.
if [ "$seek" = 0.0000 ]; then set --; else set -- -ss "$seek"; fi
ffmpeg -nostdin -hide_banner -loglevel error -f concat -safe 0 "$@" -t "$length" -i "$work/list.txt" \
  -map 0:v -c copy -movflags +faststart "$work/clip.mp4"
base64 -w0 <"$work/clip.mp4"
