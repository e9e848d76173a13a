#!/bin/sh
# Observe a host: every fact the plan needs, in one round trip, one tab-separated line per fact
# (parse.ts reads them). observe/script.ts runs it with the files to look at as arguments, and:
#   PACKAGES, UNITS   space-separated names to ask dpkg and systemd about
#   CAMERA            a device or file the camera source needs; empty when it needs none
#   MARKER            the line a file camfleet wrote carries in its first lines
#   PENDING           the note of restarts an interrupted run owes
#   ENCODERS          1: list ffmpeg's H.264 encoders (costs ffmpeg's start-up)
#   STAGING_DIRS      the folders of the files camfleet writes, one a line
#   ABSENT_DIRS       folders to remove: "path<TAB>patterns" a line (see removable_dir below)
#   SSH_CONNECTION    the login's "client port server port"
# A process costs milliseconds on a Pi: each fact is gathered for all files or units at once.
export LC_ALL=C
set -f # the name lists are split on spaces, never globbed
t=$(printf '\t')

# The interface this connection arrives on: the one holding the server address.
# `ip -o addr show to ADDRESS` prints "N: <interface> inet ...": its second word.
ssh_interface() {
  # shellcheck disable=SC2086 # split "client port server port" into words
  set -- $1
  [ -n "${3:-}" ] || return 0
  # shellcheck disable=SC2046 # the same, for ip's line
  set -- $(ip -o addr show to "$3" 2>/dev/null)
  if [ -n "${2:-}" ]; then printf 'sshif\t%s\n' "$2"; fi
}
ssh_interface "$SSH_CONNECTION"

# shellcheck source=/dev/null
. /etc/os-release 2>/dev/null
printf 'os\t%s\t%s\n' "${ID:-unknown}" "${VERSION_ID:-}"

# db:Status-Abbrev is "ii " for an installed package; unknown names are silently left out.
# dpkg's own line carries the architecture, saving a `dpkg --print-architecture`.
# shellcheck disable=SC2016,SC2086 # dpkg's format, not shell; PACKAGES is a word list
dpkg-query -W -f='pkg\t${Package}\t${db:Status-Abbrev}\t${Architecture}\n' dpkg $PACKAGES 2>/dev/null

# Files that exist stay in "$@"; a missing one is a fact of its own.
for f in "$@"; do
  shift
  if [ -f "$f" ]; then set -- "$@" "$f"; else printf 'file\t%s\t-\n' "$f"; fi
done
if [ $# -gt 0 ]; then
  # sha256sum's own lines ("<hash>  <path>"): the parser knows them by shape.
  sha256sum -- "$@"
  stat -c "filemeta$t%n$t%a$t%U$t%G" -- "$@"
  # The marker sits in a managed file's header, so only the first lines are read.
  awk -v marker="$MARKER" 'FNR > 10 { nextfile } index($0, marker) { print "filemanaged\t" FILENAME; nextfile }' "$@"
fi

# Files an unfinished run staged and never committed (`.<name>.camfleet-XXXXXX` beside a target;
# commit renames them away): a power cut or a lost connection leaves them.
ifs=$IFS
IFS='
'
for d in $STAGING_DIRS; do
  set +f
  for f in "$d"/.*.camfleet-??????; do
    if [ -f "$f" ]; then printf 'leftover\t%s\n' "$f"; fi
  done
  set -f
done
IFS=$ifs

# Directories to remove (ABSENT_DIRS: a path, a tab and name patterns, one a line): each one that
# is there, and every entry in it its patterns do not cover (a regular file matching one goes with
# the directory; anything else is for the plan to judge: a file this run removes, or a keeper).
dir_facts() {
  d=$1
  shift
  if [ ! -d "$d" ] || [ -L "$d" ]; then return 0; fi
  printf 'dir\t%s\n' "$d"
  set +f
  for f in "$d"/* "$d"/.[!.]* "$d"/..?*; do
    if [ ! -e "$f" ] && [ ! -L "$f" ]; then continue; fi
    covered=
    if [ -f "$f" ] && [ ! -L "$f" ]; then
      for pattern in "$@"; do
        # shellcheck disable=SC2254 # the pattern is meant to match as a pattern
        case ${f##*/} in $pattern) covered=1 ;; esac
      done
    fi
    if [ -z "$covered" ]; then printf 'dir-holds\t%s\t%s\n' "$d" "$f"; fi
  done
  set -f
}
IFS='
'
for entry in $ABSENT_DIRS; do
  IFS=$ifs
  # shellcheck disable=SC2086 # the patterns after the tab are a word list
  dir_facts "${entry%%"$t"*}" ${entry#*"$t"}
  IFS='
'
done
IFS=$ifs

# Every unit's state from one `systemctl show` (each call costs ~30 ms on a Pi): one block of
# Key=Value lines per unit, in the order asked, blank-line separated, between two marker lines.
if [ -n "$UNITS" ]; then
  echo units-begin
  # shellcheck disable=SC2086 # UNITS is a word list
  systemctl show -p LoadState,UnitFileState,ActiveState,MainPID $UNITS 2>/dev/null
  echo
  echo units-end
fi

if [ -z "$CAMERA" ] || [ -e "$CAMERA" ]; then printf 'camera\t1\n'; else printf 'camera\t0\n'; fi

if [ -f "$PENDING" ]; then sed 's/^/pending\t/' "$PENDING"; fi

if [ "$ENCODERS" = 1 ] && command -v ffmpeg >/dev/null 2>&1; then
  ffmpeg -hide_banner -encoders 2>/dev/null | awk '$1 ~ /^V/ && /H\.264/ {print "encoder\t" $2}'
fi
exit 0
