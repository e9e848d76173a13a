#!/bin/sh
# The recordings on a Pi, for `clip` and `status` (recordings.ts reads its lines): the recorder's
# state, the segments oldest first (name, bytes), and the folder's filesystem (size and free, kB).
#   RECORDER_UNIT    camfleet-recorder's unit
#   RECORDING_PATH   the folder the segments are in
printf 'recorder\t%s\n' "$(systemctl is-active "$RECORDER_UNIT")"
if [ -d "$RECORDING_PATH" ]; then
  for f in "$RECORDING_PATH"/*.ts; do
    [ -e "$f" ] || continue
    printf 'segment\t%s\t%s\n' "$(basename "$f")" "$(wc -c <"$f")"
  done
  df -Pk "$RECORDING_PATH" | awk 'NR == 2 { printf "disk\t%s\t%s\n", $2, $4 }'
fi
exit 0
