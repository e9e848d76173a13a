#!/bin/sh
# Swap every staged file into place in one go, after noting which restarts are owed: if the
# connection drops before they run, the next run's observe finds the note and owes them still.
# Arguments, one record after another:  move STAGED PATH  |  meta PATH OWNER:GROUP MODE  |  prev PATH KEPT
# (prev: keep PATH's current version as KEPT, a hard link beside it, before it is replaced; the
# health gate's rollback renames it back. A path not there yet leaves no KEPT, and no stale one.)
# OWED: lines of "<restart|reload>\t<unit>" to append to the note PENDING; empty when none.
set -e

check() {
  while [ $# -gt 0 ]; do
    case $1 in
      move|prev) shift 3 ;;
      meta) shift 4 ;;
      *) echo "commit.sh: unknown record '$1'" >&2; exit 2 ;;
    esac
  done
}
# The staged files, and the folders they move into, NUL-separated for xargs -0.
staged() {
  while [ $# -gt 0 ]; do
    case $1 in move) printf '%s\0' "$2"; shift 3 ;; prev) shift 3 ;; *) shift 4 ;; esac
  done
}
folders() {
  while [ $# -gt 0 ]; do
    case $1 in move) d=${3%/*}; printf '%s\0' "${d:-/}"; shift 3 ;; prev) shift 3 ;; *) shift 4 ;; esac
  done
}
keep() {
  while [ $# -gt 0 ]; do
    case $1 in
      prev) if [ -e "$2" ]; then ln -f -- "$2" "$3"; else rm -f -- "$3"; fi; shift 3 ;;
      move) shift 3 ;;
      *) shift 4 ;;
    esac
  done
}
moves() {
  while [ $# -gt 0 ]; do
    case $1 in move) mv -f -- "$2" "$3"; shift 3 ;; prev) shift 3 ;; *) shift 4 ;; esac
  done
}
metadata() {
  while [ $# -gt 0 ]; do
    case $1 in meta) chown "$3" "$2"; chmod "$4" "$2"; shift 4 ;; *) shift 3 ;; esac
  done
}

check "$@"
if [ -n "$OWED" ]; then
  mkdir -p "${PENDING%/*}"
  printf '%s\n' "$OWED" >> "$PENDING"
fi
# Each new file's content is on the disk before its name replaces the old one, and the renames
# after: a power cut leaves the old file or the new one, never an empty or half-written one.
staged "$@" | xargs -0 -r sync --
keep "$@"
moves "$@"
folders "$@" | sort -zu | xargs -0 -r sync --
metadata "$@"
