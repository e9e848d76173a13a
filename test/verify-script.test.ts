// apply's last check (provision/apply/verify.sh), run for real under sh on this machine with a
// systemctl that plays each unit's states as a Pi's systemd would report them, one reading after
// another, and an ss that says which ports listen. The lab e2e tests run it against real systemd;
// here each way a unit can behave is played exactly, and the time the check takes is measured.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyScript } from '../provision/apply/scripts.ts';

// A FAKE systemctl: `show -p … U…` gives each unit U its next line of $PLAY/U ("ActiveState
// InvocationID"), the last one over and over once they run out, one block per unit with blank lines
// between, as systemd prints them; `is-active U` says the state of the line last given.
const systemctl = `#!/bin/sh
echo "systemctl $*" >> "$PLAY/calls"
verb=$1; shift
[ "$1" = -p ] && shift 2
first=yes
for u in "$@"; do
  case $verb in
    show)
      n=$(cat "$PLAY/$u.n" 2>/dev/null || echo 0)
      n=$((n + 1)); echo $n > "$PLAY/$u.n"
      line=$(sed -n "\${n}p" "$PLAY/$u"); [ -n "$line" ] || line=$(tail -n 1 "$PLAY/$u")
      echo "$line" > "$PLAY/$u.now"
      set -- $line
      [ $first = yes ] || echo
      first=no
      printf 'InvocationID=%s\\nActiveState=%s\\n' "\${2:-}" "$1" ;;
    is-active) set -- $(cat "$PLAY/$u.now"); echo "$1" ;;
  esac
done
`;
// A FAKE ss: \`ss -ltnH\` lists the ports in $PLAY/listening, one socket each (IPv4 and IPv6 by turns).
const ss = `#!/bin/sh
echo "ss $*" >> "$PLAY/calls"
i=0
while read -r port; do
  i=$((i + 1))
  if [ $((i % 2)) = 0 ]; then echo "LISTEN 0 511 [::]:$port [::]:*"; else echo "LISTEN 0 511 0.0.0.0:$port 0.0.0.0:*"; fi
done < "$PLAY/listening"
`;

/** Runs verify for `units` (each played as its lines say) and `ports`; its status, stderr and seconds. */
function verify(units: Record<string, string[]>, ports: number[], listening: number[], settleSeconds = 5) {
  const dir = mkdtempSync(join(tmpdir(), 'camfleet-verify-'));
  const bin = join(dir, 'bin');
  const play = join(dir, 'play');
  mkdirSync(bin);
  mkdirSync(play);
  for (const [name, text] of Object.entries({ systemctl, ss, journalctl: '#!/bin/sh\necho "its last lines"\n' })) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  for (const [unit, lines] of Object.entries(units)) writeFileSync(join(play, unit), `${lines.join('\n')}\n`);
  writeFileSync(join(play, 'listening'), listening.map((p) => `${p}\n`).join(''));
  const started = performance.now();
  const r = spawnSync('sh', ['-s'], { input: verifyScript(Object.keys(units), ports, settleSeconds), encoding: 'utf8', env: { ...process.env, PLAY: play, PATH: `${bin}:${process.env.PATH}` } });
  const calls = readFileSync(join(play, 'calls'), 'utf8').trim().split('\n');
  return { status: r.status, stderr: r.stderr, seconds: (performance.now() - started) / 1000, calls };
}

const steady = (id: string) => [`active ${id}`];

describe('verify: every unit up and every port listening, or a report of what is not', () => {
  it('passes once each unit has stayed active in one invocation across two readings', () => {
    const r = verify({ 'nginx.service': steady('n1'), 'camfleet-streamer.service': ['activating s1', 'activating s1', 'active s1'] }, [1935], [1935]);
    expect(r).toMatchObject({ status: 0, stderr: '' });
  });

  it('a unit systemd has given up on (failed) ends the wait at once, and only it is named', () => {
    const r = verify({ 'nginx.service': ['activating n1'], 'camfleet-recorder.service': ['active r1', 'failed r1'] }, [1935], [], 30);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('camfleet-recorder.service is failed\n    its last lines\n');
    expect(r.seconds).toBeLessThan(15); // not the 30 s it is given to settle (two readings take a second)
  });

  it('a unit seen in four invocations (it failed three times and is being restarted) ends the wait at once, as restarting', () => {
    const r = verify({ 'camfleet-recorder.service': ['active r1', 'activating r1', 'active r2', 'activating r2', 'active r3', 'activating r3', 'active r4'] }, [], [], 30);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('camfleet-recorder.service keeps restarting: started 4 times while camfleet waited for it (now active)\n    its last lines\n');
    expect(r.seconds).toBeLessThan(15); // seven readings, not the 30 s it is given
  });

  it('a unit that waits for another is given its restarts: one that came up in its third invocation passes', () => {
    const r = verify({ 'camfleet-recorder.service': ['active r1', 'activating r1', 'active r2', 'activating r2', 'active r3'] }, [], []);
    expect(r).toMatchObject({ status: 0, stderr: '' });
  });

  it('what only settles slowly is waited for to the end, and each thing still wrong is named', () => {
    const r = verify({ 'nginx.service': steady('n1'), 'camfleet-streamer.service': ['activating s1'] }, [1935, 8080], [1935], 2);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('camfleet-streamer.service is activating\n    its last lines\nnothing listens on TCP port 8080\n');
    expect(r.seconds).toBeGreaterThanOrEqual(1.5);
  });

  it('reads every unit with one systemctl and every port with one ss a round (a Pi Zero feels each fork)', () => {
    const units = { 'nginx.service': steady('n1'), 'camfleet-streamer.service': ['activating s1', 'active s1'], 'camfleet-webrtc.service': steady('w1') };
    const r = verify(units, [1935, 8080, 8889], [8889, 1935, 8080]);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    // Three rounds: the streamer active in the second and still, in one invocation, in the third.
    const round = ['systemctl show -p ActiveState,InvocationID nginx.service camfleet-streamer.service camfleet-webrtc.service', 'ss -ltnH'];
    expect(r.calls).toEqual([...round, ...round, ...round]);
  });

  it('a port is matched whole: 8080 listening is not 80', () => {
    const r = verify({ 'nginx.service': steady('n1') }, [80, 8080], [8080, 1935], 1);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('nothing listens on TCP port 80\n');
  });
});
