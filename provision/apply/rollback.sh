#!/bin/sh
# Undo a commit whose health gate failed. Like the commit: first note the restarts owed, so a run
# cut off here (power, SSH) leaves them noted and the next run carries them out; then rename each
# kept previous version back over its file (each file whole, old or new, at any moment) and remove
# the files the commit created; then daemon-reload if a unit file is among them, and restart what
# the change restarted. The note is cleared only once every restart is done.
# Arguments, one record after another:  restore KEPT PATH  |  remove PATH
# OWED: lines of "<restart|reload>\t<unit>"; PENDING: the note; RELOAD: 1 to daemon-reload first.
set -e

check() {
  while [ $# -gt 0 ]; do
    case $1 in
      restore) shift 3 ;;
      remove) shift 2 ;;
      *) echo "rollback.sh: unknown record '$1'" >&2; exit 2 ;;
    esac
  done
}
swap_back() {
  while [ $# -gt 0 ]; do
    case $1 in
      # No kept version: an earlier, cut-off rollback already renamed it back.
      restore) if [ -e "$2" ]; then mv -f -- "$2" "$3"; fi; shift 3 ;;
      remove) rm -f -- "$2"; shift 2 ;;
    esac
  done
}
folders() {
  while [ $# -gt 0 ]; do
    case $1 in
      restore) d=${3%/*}; printf '%s\0' "${d:-/}"; shift 3 ;;
      remove) d=${2%/*}; printf '%s\0' "${d:-/}"; shift 2 ;;
    esac
  done
}

check "$@"
if [ -n "$OWED" ]; then
  mkdir -p "${PENDING%/*}"
  printf '%s\n' "$OWED" >> "$PENDING"
fi
swap_back "$@"
folders "$@" | sort -zu | xargs -0 -r sync --
if [ "$RELOAD" = 1 ]; then systemctl daemon-reload; fi

failed=""
tab=$(printf '\t')
while IFS=$tab read -r action unit; do
  [ -n "$unit" ] || continue
  verb=restart
  [ "$action" = reload ] && verb=reload-or-restart
  systemctl "$verb" "$unit" || failed="$failed $unit"
done <<LIST
$OWED
LIST
if [ -n "$failed" ]; then
  echo "restarting with the old files failed:$failed" >&2
  exit 1
fi
rm -f -- "$PENDING"
