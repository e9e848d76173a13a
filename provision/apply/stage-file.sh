#!/bin/sh
# Write a file's new content to a temp file beside its target (the same filesystem, so the later
# rename is atomic) and print the temp file's name.
# Arguments: the target's path, owner:group, octal mode. CONTENT: the new content, base64.
set -e
target=$1 owner=$2 mode=$3
dir=${target%/*}
# New directories are world-readable like their parents; only the temp file is private.
[ -d "$dir" ] || (umask 022 && mkdir -p "$dir")
umask 077
tmp=$(mktemp "$dir/.${target##*/}.camfleet-XXXXXX")
# A write that fails part way (disk full) takes its half-written temp file with it.
trap 'rm -f "$tmp"' EXIT
printf '%s' "$CONTENT" | base64 -d > "$tmp"
chown "$owner" "$tmp"
chmod "$mode" "$tmp"
trap - EXIT
printf '%s\n' "$tmp"
