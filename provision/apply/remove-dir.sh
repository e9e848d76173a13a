#!/bin/sh
# Remove a directory camfleet no longer wants (the first argument): first the files in it whose
# names match the other arguments (plain patterns such as *.ts), then the directory itself, with
# rmdir, which removes nothing but an empty one. A file a service was still finishing when this
# started is caught by another try a second later.
dir=$1
shift
case $dir in
  /?*) ;;
  *) echo "not a directory to remove: '$dir'" >&2; exit 2 ;;
esac
for _ in 1 2 3 4 5; do
  [ -d "$dir" ] || exit 0
  for pattern in "$@"; do
    # shellcheck disable=SC2086 # the pattern is meant to be expanded, inside the quoted folder
    rm -f -- "$dir"/$pattern
  done
  rmdir -- "$dir" 2>/dev/null && exit 0
  sleep 1
done
rmdir -- "$dir"
