#!/bin/sh
# The cameras libcamera sees, for a host whose camera is a libcamera one: script.ts puts this in
# front of observe.sh only then (other hosts' observe stays as it was). `cam -l` takes no camera,
# so it lists one the streamer is capturing; `cam -c N -I` (a camera's formats and sizes) has to
# take it, and only says why it cannot while the camera is in use. Lines are passed through as cam
# prints them, tagged and numbered by camera: libcamera.ts parses them.
if command -v cam >/dev/null 2>&1; then
  # libcamera logs its start-up (INFO, WARN for a sensor it has no data on) on stderr: errors only.
  export LIBCAMERA_LOG_LEVELS='*:ERROR'
  printf 'libcamera\ttools\n'
  list=$(timeout 20 cam -l 2>/dev/null)
  printf '%s\n' "$list" | sed -n 's/^/libcamera\tlist\t/p'
  # libcamera 0.0.3 lists no camera whose media device another process holds (the streamer
  # capturing it): say whether one is held, so that is not taken for a missing camera.
  if [ -n "$(find /proc/[0-9]*/fd -lname '/dev/media*' 2>/dev/null | head -n 1)" ]; then printf 'libcamera\tinuse\n'; fi
  for n in $(printf '%s\n' "$list" | sed -n 's/^\([0-9][0-9]*\): .*/\1/p'); do
    timeout 20 cam -c "$n" -I 2>&1 | sed -n "s/^/libcamera\tinfo\t$n\t/p"
  done
fi
