#!/bin/sh
# After apply: every wanted unit up and every port listening, given SETTLE_TRIES half-seconds to
# settle. Prints one line per thing still wrong (with the unit's last log lines) and exits 1.
# A unit counts as up once it has stayed active, in one invocation, across two readings (half a
# second apart, more on a busy Pi): one that fails and restarts over and over is active for a
# moment each time it starts, and a single reading could land in that moment (on a busy Pi it often
# does).
# A unit that will not come up is not waited for: one systemd has given up on (failed), or one seen
# in four invocations since this began (it failed three times; camfleet's units are restarted 1-2 s
# after a failure, and one that needs another, as the recorder needs the stream, may fail once or
# twice while that one comes up). The wait ends there and the report names such units alone: what
# else was still settling is not known bad.
# UNITS, PORTS: space-separated unit names and TCP ports.
set -f # the lists are split on spaces, never globbed
tries=$SETTLE_TRIES
# A round runs every half second while units settle, and a Pi Zero feels each fork: one systemctl
# for every unit, one ss for every port.
# Every unit's state, "|unit=ActiveState=… InvocationID=… " each: systemctl prints one block per
# unit in the order asked, blank lines between.
states() {
  # shellcheck disable=SC2086 # the list is split on spaces
  systemctl show -p ActiveState,InvocationID $UNITS | awk -v units="$UNITS" '
    BEGIN { n = split(units, name, " "); i = 1 }
    /^$/ { i++; next }
    /^ActiveState=/ { active[i] = $0 }
    /^InvocationID=/ { id[i] = $0 }
    END { for (j = 1; j <= n; j++) printf "|%s=%s %s ", name[j], active[j], id[j]; print "|" }'
}
# Every TCP port something listens on, "|port" each: the last field of each local address.
listening() { ss -ltnH | awk '{ n = split($4, a, ":"); printf "|%s", a[n] } END { print "|" }'; }
# How many invocations of unit $1 this script has seen, into $n: counted in the shell.
invocations() {
  n=0
  IFS='|'
  for entry in $seen; do
    case $entry in "$1="?*) n=$((n + 1)) ;; esac
  done
  unset IFS
}
last="" # the previous round's active units, "|unit=state" each
seen="" # every invocation seen, "|unit=id" each
while :; do
  bad="" active="" lost=""
  all=""
  [ -z "$UNITS" ] || all=$(states)
  for u in $UNITS; do
    now=${all#*"|$u="}
    now="$u=${now%%|*}"
    id=${now##*InvocationID=}
    id=${id%% *}
    case "$seen|" in *"|$u=$id|"*) ;; *) seen="$seen|$u=$id" ;; esac
    up=no
    case $now in
      "$u=ActiveState=active "*)
        active="$active|$now"
        case "$last|" in *"|$now|"*) up=yes ;; esac ;;
      "$u=ActiveState=failed "*) lost="$lost unit:$u" ;;
    esac
    if [ $up = no ]; then
      bad="$bad unit:$u"
      case " $lost " in *" unit:$u "*) ;; *) invocations "$u"; [ "$n" -lt 4 ] || lost="$lost unit:$u" ;; esac
    fi
  done
  last=$active
  if [ -n "$PORTS" ]; then
    ports=$(listening)
    for p in $PORTS; do
      case $ports in *"|$p|"*) ;; *) bad="$bad port:$p" ;; esac
    done
  fi
  [ -z "$bad" ] && exit 0
  if [ -n "$lost" ]; then
    bad=$lost
    break
  fi
  tries=$((tries - 1))
  [ "$tries" -le 0 ] && break
  sleep 0.5
done
for b in $bad; do
  case $b in
    unit:*)
      u=${b#unit:}
      s=$(systemctl is-active "$u")
      invocations "$u"
      if [ "$n" -ge 4 ]; then echo "$u keeps restarting: started $n times while camfleet waited for it (now $s)"
      elif [ "$s" = active ]; then echo "$u is active only for moments: it keeps restarting"
      else echo "$u is $s"; fi
      journalctl -u "$u" -n 8 --no-pager 2>/dev/null | sed "s/^/    /" ;;
    port:*) echo "nothing listens on TCP port ${b#port:}" ;;
  esac
done >&2
exit 1
