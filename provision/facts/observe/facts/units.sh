# shellcheck shell=sh
# Every unit's state from one `systemctl show` (each call costs ~30 ms on a Pi): its own blocks of
# Key=Value lines, blank-line separated, each naming its unit (Names=, aliases included).
# NeedDaemonReload: its file changed since systemd loaded it (a run cut off before its daemon-reload).
[ -n "$UNITS" ] || return 0
# shellcheck disable=SC2086 # UNITS is a word list
systemctl show -p Names,LoadState,UnitFileState,ActiveState,MainPID,NeedDaemonReload $UNITS 2>/dev/null
