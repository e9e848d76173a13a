#!/bin/sh
# After apply: every wanted unit up and every port listening, given SETTLE_TRIES half-seconds to
# settle. Prints one line per thing still wrong (with the unit's last log lines) and exits 1.
# A unit counts as up once it has stayed active, in one invocation, across two readings (half a
# second apart, more on a busy Pi): one that fails and restarts over and over is active for a
# moment each time it starts, and a single reading could land in that moment (on a busy Pi it often
# does).
# UNITS, PORTS: space-separated unit names and TCP ports.
set -f # the lists are split on spaces, never globbed
tries=$SETTLE_TRIES
round=0
seen=$(mktemp -d)
trap 'rm -rf "$seen"' EXIT
# "ActiveState=… InvocationID=…" of unit $1, one line.
state() { systemctl show -p ActiveState,InvocationID "$1" | grep -E '^(ActiveState|InvocationID)=' | sort | tr '\n' ' '; }
while :; do
  bad=""
  for u in $UNITS; do
    now=$(state "$u")
    case $now in
      "ActiveState=active "*)
        # The round it was first seen active in this invocation, kept in a file named for the unit.
        if [ "$(head -n 1 "$seen/$u" 2>/dev/null)" != "$now" ]; then printf '%s\n%s\n' "$now" "$round" > "$seen/$u"; fi
        [ $((round - $(tail -n 1 "$seen/$u"))) -ge 1 ] || bad="$bad unit:$u" ;;
      *) rm -f "$seen/$u"; bad="$bad unit:$u" ;;
    esac
  done
  for p in $PORTS; do ss -ltnH "sport = :$p" | grep -q . || bad="$bad port:$p"; done
  [ -z "$bad" ] && exit 0
  tries=$((tries - 1))
  [ "$tries" -le 0 ] && break
  round=$((round + 1))
  sleep 0.5
done
for b in $bad; do
  case $b in
    unit:*)
      u=${b#unit:}
      if systemctl is-active --quiet "$u"; then echo "$u is active only for moments: it keeps restarting"; else echo "$u is $(systemctl is-active "$u")"; fi
      journalctl -u "$u" -n 8 --no-pager 2>/dev/null | sed "s/^/    /" ;;
    port:*) echo "nothing listens on TCP port ${b#port:}" ;;
  esac
done >&2
exit 1
