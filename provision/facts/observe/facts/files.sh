# shellcheck shell=sh
# The files camfleet manages (the arguments): a missing one is "-<TAB>path"; of those there,
# sha256sum's own lines, then "meta<TAB>path<TAB>mode<TAB>owner<TAB>group", then "managed<TAB>path"
# for each carrying MARKER in its first lines. One process per fact for all files at once.
for f in "$@"; do
  shift
  if [ -f "$f" ]; then set -- "$@" "$f"; else printf -- '-\t%s\n' "$f"; fi
done
[ $# -gt 0 ] || return 0
sha256sum -- "$@"
stat -c "meta$(printf '\t')%n$(printf '\t')%a$(printf '\t')%U$(printf '\t')%G" -- "$@"
# The marker sits in a managed file's header, so only the first lines are read.
awk -v marker="$MARKER" 'FNR > 10 { nextfile } index($0, marker) { print "managed\t" FILENAME; nextfile }' "$@"
