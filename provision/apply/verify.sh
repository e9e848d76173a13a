#!/bin/sh
# After apply: every wanted unit active and every port listening, given SETTLE_TRIES half-seconds to
# settle. Prints one line per thing still wrong (with the unit's last log lines) and exits 1.
# UNITS, PORTS: space-separated unit names and TCP ports.
set -f # the lists are split on spaces, never globbed
tries=$SETTLE_TRIES
while :; do
  bad=""
  for u in $UNITS; do systemctl is-active --quiet "$u" || bad="$bad unit:$u"; done
  for p in $PORTS; do ss -ltnH "sport = :$p" | grep -q . || bad="$bad port:$p"; done
  [ -z "$bad" ] && exit 0
  tries=$((tries - 1))
  [ "$tries" -le 0 ] && break
  sleep 0.5
done
for b in $bad; do
  case $b in
    unit:*) u=${b#unit:}; echo "$u is $(systemctl is-active "$u")"; journalctl -u "$u" -n 8 --no-pager 2>/dev/null | sed "s/^/    /" ;;
    port:*) echo "nothing listens on TCP port ${b#port:}" ;;
  esac
done >&2
exit 1
