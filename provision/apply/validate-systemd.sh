#!/bin/sh
# Check a staged unit file with systemd-analyze verify. Arguments: the staged file, the unit's
# real path (verify wants the unit's own name). verify exits 0 on a line it ignored: any
# "file:line:" warning (a line without '=', an unknown key or section, a bad value) is a unit that
# does not say what was meant, and fails the check.
staged=$1 name=${2##*/}
d=$(mktemp -d)
cp "$staged" "$d/$name"
out=$(SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no "$d/$name" 2>&1)
rm -rf "$d"
bad=$(printf '%s\n' "$out" | grep -F "/$name:" | grep -E '^[^ ]*:[0-9]+: ')
[ -z "$bad" ] || { printf '%s\n' "$bad" | sed "s|^$d/||" >&2; exit 1; }
