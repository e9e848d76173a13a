# Every process camfleet runs on a Pi (each unit's main process and all its descendants), one
# tab-separated line each: unit, pid, program, PSS, USS (private clean + dirty) and RSS in kB from
# /proc/<pid>/smaps_rollup, CPU so far in clock ticks, and the command line; then "hz <ticks per s>"
# and "hls <kB>": the HLS fragments and playlist nginx keeps in /dev/shm (a tmpfs: RAM too).
# Run as root (sudo sh -s) by bench/pi-footprint.ts. With BARE_NODE=1 it also starts a bare node
# (an empty event loop, BARE_NODE_FLAGS, the streamer's MALLOC_ARENA_MAX) and reports it as unit
# "bare-node": the cost of one Node runtime of its own, read after BARE_NODE_SECONDS (3).

walk() {
  echo "$1 $2"
  for child in $(pgrep -P "$2"); do walk "$1" "$child"; done
}

report() {
  # $1 unit, $2 pid
  rollup=$(cat "/proc/$2/smaps_rollup" 2>/dev/null) || return 0
  stat=$(cat "/proc/$2/stat" 2>/dev/null) || return 0
  # utime and stime are the 12th and 13th fields after the command name's closing parenthesis.
  # shellcheck disable=SC2086 # split on purpose
  set -- "$1" "$2" ${stat##*) }
  ticks=$(( ${14} + ${15} ))
  args=$(tr '\0' '\n' < "/proc/$2/cmdline")
  # On the arm64 lab Pi every program runs under qemu-user through binfmt_misc, registered with flag
  # P: its command line is the interpreter, the program's path, then the program's own argv.
  case $(printf '%s\n' "$args" | head -n 1) in
    */qemu-binfmt/* | */qemu-aarch64*) args=$(printf '%s\n' "$args" | tail -n +3) ;;
  esac
  cmd=$(printf '%s\n' "$args" | tr '\n' ' ' | cut -c1-300)
  program=$(printf '%s\n' "$args" | head -n 1)
  memory=$(printf '%s\n' "$rollup" | awk '/^Pss:/ { p = $2 } /^Private_(Clean|Dirty):/ { u += $2 } /^Rss:/ { r = $2 } END { printf "%d\t%d\t%d", p, u, r }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "${program##*/}" "$memory" "$ticks" "$cmd"
}

for unit in camfleet-streamer camfleet-webrtc nginx; do
  main=$(systemctl show -p MainPID --value "$unit.service")
  if [ "${main:-0}" -gt 0 ]; then walk "$unit" "$main"; fi
done | while read -r unit pid; do report "$unit" "$pid"; done

if [ "${BARE_NODE:-}" = 1 ]; then
  streamer=$(systemctl show -p MainPID --value camfleet-streamer.service)
  arenas=$(tr '\0' '\n' < "/proc/${streamer:-0}/environ" 2>/dev/null | grep '^MALLOC_ARENA_MAX=' || true)
  # shellcheck disable=SC2086 # the flags are separate words
  env $arenas setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/node ${BARE_NODE_FLAGS:-} -e 'setInterval(() => {}, 1000)' &
  bare=$!
  sleep "${BARE_NODE_SECONDS:-3}"
  report bare-node "$bare"
  kill "$bare"
fi

echo "hz $(getconf CLK_TCK)"
echo "hls $(du -sk /dev/shm/camfleet-hls 2>/dev/null | cut -f1)"
