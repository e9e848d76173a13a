#!/bin/sh
# A test's hold on a lab Pi (test/support/faults.ts, holdOnHost). Lab-only: no image and no real Pi
# has it; a test writes it into a running lab Pi as /usr/local/sbin/<command>, ahead of the real
# /usr/bin/<command> on the PATH sudo gives root (secure_path), and takes it out again.
#
# While the test has it armed, the first call whose arguments match the test's pattern stops here,
# before the real command runs, and waits until the test releases it (or the Pi loses power). So a
# fault lands at that point every time, however loaded the machine: the Pi cannot go past it first.
# Every other call is the real command, untouched. Its state: /var/lib/camfleet-lab-hold/<command>/
#   pattern   a shell pattern matched against the arguments ("$*"), written by the test
#   armed     present until a call takes the hold (renamed: only one call can)
#   held      the held call's arguments, once it waits
#   release   a FIFO the held call reads: a line from the test lets it go on
#   done      the held call's arguments again, once the real command has finished
# Not for mv, mkfifo or sh, which it uses itself.
name=${0##*/}
real=/usr/bin/$name
dir=/var/lib/camfleet-lab-hold/$name
read -r pattern 2>/dev/null <"$dir/pattern" || exec "$real" "$@"
# shellcheck disable=SC2254 # the test's pattern is a pattern
case "$*" in
  $pattern) ;;
  *) exec "$real" "$@" ;;
esac
mv "$dir/armed" "$dir/taken" 2>/dev/null || exec "$real" "$@"
mkfifo "$dir/release"
# Read and write: opening it does not wait for the test to open its end.
exec 3<>"$dir/release"
printf '%s\n' "$*" >"$dir/taken"
mv "$dir/taken" "$dir/held"
read -r _ <&3
exec 3<&-
"$real" "$@"
status=$?
mv "$dir/held" "$dir/done"
exit "$status"
