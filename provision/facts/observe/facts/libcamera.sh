# shellcheck shell=sh
# The cameras libcamera sees, asked only for a host whose camera is a libcamera one (LIBCAMERA=1):
# a cam start costs seconds. `cam -l` takes no camera, so it lists one the streamer is capturing;
# `cam -c N -I` (a camera's formats and sizes) has to take it, and only says why it cannot while
# the camera is in use. Lines pass through as cam prints them, tagged and numbered by camera:
# "tools" (cam is there), "list<TAB>line", "inuse", "info<TAB>N<TAB>line" (libcamera.ts parses them).
[ "$LIBCAMERA" = 1 ] || return 0
command -v cam >/dev/null 2>&1 || return 0
# libcamera logs its start-up (INFO, WARN for a sensor it has no data on) on stderr: errors only.
export LIBCAMERA_LOG_LEVELS='*:ERROR'
echo tools
# libcamera 0.0.3 lists no camera whose media device another process holds (the streamer
# capturing it): say whether one is held, so that is not taken for a missing camera. The streamer
# may be replacing a stalled capture just then (the media device free for a moment), so a holder
# is looked for before and after the listing, and an empty listing with no holder is asked again.
# find's own -path pattern, not a shell glob: observe.sh runs with globbing off (set -f), which
# left a /proc/[0-9]*/fd glob literal, so a held camera was never seen.
held() { [ -n "$(find /proc -maxdepth 3 -path '/proc/[0-9]*/fd/*' -lname '/dev/media*' 2>/dev/null | head -n 1)" ]; }
for attempt in 1 2 3; do
  inuse=0
  held && inuse=1
  list=$(timeout 20 cam -l 2>/dev/null)
  held && inuse=1
  if [ "$inuse" = 1 ] || printf '%s\n' "$list" | grep -q '^[0-9][0-9]*: '; then break; fi
  [ "$attempt" = 3 ] || sleep 1
done
printf '%s\n' "$list" | sed -n 's/^/list\t/p'
if [ "$inuse" = 1 ]; then echo inuse; fi
for n in $(printf '%s\n' "$list" | sed -n 's/^\([0-9][0-9]*\): .*/\1/p'); do
  timeout 20 cam -c "$n" -I 2>&1 | sed -n "s/^/info\t$n\t/p"
done
