// Faults a Pi must survive without its operator, injected for real into a provisioned lab Pi
// (ready image: this is about recovery, the fresh install is provision.e2e's). Each case measures
// how long the stream was gone and checks that nothing was lost: the config on the Pi is still
// exactly what camfleet wrote (a --check run finds nothing to do) and the stream plays here again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerBoot, containerDown, containerFreeze, containerPowerCut, containerUp } from '../lab/container.ts';
import type { LabHost } from '../lab/state.ts';
import { camfleet, type CliResult } from './support/cli.ts';
import { holdOnHost, killNginx, killSshSessions, leftovers } from './support/faults.ts';
import { ffprobe, labUnavailable, mainPid, onHost, streamerFfmpeg, waitForStream, writeInventory, type Edit } from './support/lab.ts';

const why = labUnavailable();
if (why) console.warn(`skipping fault end-to-end tests: ${why}`);

/** Milliseconds from `since` until `check` passes, polling; throws after `timeoutMs`. */
async function msUntil(since: number, check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  for (;;) {
    if (check()) return Date.now() - since;
    if (Date.now() - since > timeoutMs) throw new Error(`not recovered after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** True when a player here reads the Pi's stream (a short ffprobe; it waits for a keyframe). */
function plays(url: string): boolean {
  try {
    return ffprobe(url, 3).codec === 'h264';
  } catch {
    return false;
  }
}

/**
 * The Pi's stream plays here. A single short probe, where the stream must be there, has met a
 * moment without it on a machine made busy by the other lab sets (CI run h14: after a converged run,
 * with the stream read a few seconds before): that probe failing is said with the streamer's last
 * lines, and the stream then has 15 s to be read, which a Pi that lost it does not pass.
 */
async function expectPlays(host: LabHost, url: string): Promise<void> {
  const journal = () => onHost(host, 'sudo journalctl -u camfleet-streamer -n 12 --no-pager -o cat');
  const firstFailure = (e: Error) => console.log(`${url} did not play at the first probe (${e.message.split('\n')[0]}); the streamer's last lines:\n${journal()}`);
  await waitForStream(url, 15_000, firstFailure).catch((e: Error) => {
    throw new Error(`${url} does not play: ${e.message}\nthe streamer's last lines:\n${journal()}`);
  });
}

/** The streamer's own JSON journal lines on the Pi since `since` (ms), with their time in ms. */
function streamerEvents(host: LabHost, since: number): { event: string; at: number; [k: string]: unknown }[] {
  const out = onHost(host, `sudo journalctl -u camfleet-streamer -o cat --no-pager --since @${Math.floor(since / 1000)}`);
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { event: string; time: string })
    .map((e) => ({ ...e, at: Date.parse(e.time) }))
    .filter((e) => e.at >= since);
}

/** When (ms, the Pi's clock, which is this machine's) the streamer first logged `event` after `since`. */
async function eventAt(host: LabHost, since: number, event: string, timeoutMs: number): Promise<number> {
  let at: number | undefined;
  await msUntil(since, () => (at = streamerEvents(host, since).find((e) => e.event === event)?.at) !== undefined, timeoutMs, `the streamer logging ${event}`);
  return at!;
}

/**
 * A change of the statistics port and the bitrate, staged in this order: nginx.conf (the port),
 * streamer.json (the bitrate, and the port its metrics read), then camfleet's version file.
 */
const twoFileChange =
  (statPort: number, bitrate: string): Edit =>
  (doc) => {
    doc.defaults.stream = { statPort };
    doc.defaults.camera = { ...(doc.defaults.camera as object), bitrate };
  };

describe.skipIf(!!why)('faults a lab Pi survives on its own', () => {
  let pi: LabHost;
  let inventory: string;
  const url = () => `rtmp://${pi.address}:1935/live/cam`;
  const provision = (...args: string[]) => camfleet(['provision', '--inventory', inventory, '--host', pi.name, ...args]);
  /** Nothing lost: the Pi still holds exactly the converged config, and the stream plays. */
  const expectConverged = async () => {
    const check = await provision('--check');
    expect(check.stdout).toMatch(/in sync, nothing to do/);
    expect(check.code).toBe(0);
    await expectPlays(pi, url());
  };

  beforeAll(async () => {
    [pi] = (await containerUp({ hosts: 1, layer: 'ready' })) as [LabHost];
    inventory = writeInventory([pi]);
    const r = await provision();
    if (r.code !== 0) throw new Error(`provisioning the lab Pi failed:\n${r.stdout}${r.stderr}`);
    await waitForStream(url());
  });
  afterAll(async () => {
    if (!why) await containerDown();
  });

  it('status shows the bitrate of the live stream, also in its first seconds', async () => {
    const r = await camfleet(['status', '--inventory', inventory, '--host', pi.name]);
    console.log(r.stdout);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^lab1 +lavfi testsrc2 +active +active +LIVE +640x360@15 \S+ +\d+ kb\/s /m);
  });

  it('nginx killed with SIGKILL: systemd starts it again and the stream plays within 10 s', async () => {
    const streamer = mainPid(pi, 'camfleet-streamer');
    const killed = mainPid(pi, 'nginx');
    // Killed while the Pi is frozen: nothing on it (systemd restarting nginx, the streamer) moves
    // before the probe, so the probe meets the stream gone every time, not a quick restart. The
    // Pi lives through the kill at the thaw: the recovery is timed from there.
    let killedAt = 0;
    await containerFreeze(pi.name, true);
    try {
      expect(killNginx(pi)).toBeGreaterThan(0);
      expect(plays(url())).toBe(false);
    } finally {
      killedAt = Date.now();
      await containerFreeze(pi.name, false);
    }
    // Back means the streamer publishes again (its own log says when), and a player here reads it.
    const ms = (await eventAt(pi, killedAt, 'streaming', 30_000)) - killedAt;
    await expectPlays(pi, url());
    console.log(`nginx killed: streaming again after ${ms} ms`);
    expect(ms).toBeLessThan(10_000);
    // The kill broke the stream: the streamer's ffmpeg lost nginx and ended before it published again.
    const events = streamerEvents(pi, killedAt).map((e) => e.event);
    expect(events.indexOf('ffmpeg-exited')).toBeGreaterThanOrEqual(0);
    expect(events.indexOf('ffmpeg-exited')).toBeLessThan(events.indexOf('streaming'));
    expect(onHost(pi, 'systemctl is-active nginx').trim()).toBe('active');
    expect(mainPid(pi, 'nginx')).not.toBe(killed);
    // The streamer rode it out: it reconnected rather than being restarted.
    expect(mainPid(pi, 'camfleet-streamer')).toBe(streamer);
    await expectConverged();
  });

  it('ffmpeg stopped without exiting (SIGSTOP): the streamer notices within a few seconds and replaces it', async () => {
    const streamer = mainPid(pi, 'camfleet-streamer');
    const stoppedAt = Date.now();
    onHost(pi, `sudo pkill -STOP ${streamerFfmpeg}`);
    const noticedMs = (await eventAt(pi, stoppedAt, 'ffmpeg-stalled', 30_000)) - stoppedAt;
    const ms = (await eventAt(pi, stoppedAt, 'streaming', 30_000)) - stoppedAt;
    await expectPlays(pi, url());
    console.log(`ffmpeg stopped: noticed after ${noticedMs} ms, streaming again after ${ms} ms`);
    expect(noticedMs).toBeLessThan(6000);
    expect(ms).toBeLessThan(10_000);
    // The stuck one is gone, not left stopped beside its replacement; the streamer itself carried on.
    expect(onHost(pi, `ps -o stat= -p "$(pgrep -d, ${streamerFfmpeg})"`).trim().split('\n')).toEqual([expect.stringMatching(/^[RS]/)]);
    expect(mainPid(pi, 'camfleet-streamer')).toBe(streamer);
    await expectConverged();
  });

  it('streamer hung (SIGSTOP): the systemd watchdog kills and restarts it, and the stream comes back', async () => {
    const hung = mainPid(pi, 'camfleet-streamer');
    const stoppedAt = Date.now();
    onHost(pi, `sudo kill -STOP ${hung}`);
    const restartedMs = (await eventAt(pi, stoppedAt, 'start', 40_000)) - stoppedAt;
    const ms = (await eventAt(pi, stoppedAt, 'streaming', 40_000)) - stoppedAt;
    await expectPlays(pi, url());
    console.log(`streamer stopped: restarted by the watchdog after ${restartedMs} ms, streaming again after ${ms} ms`);
    expect(onHost(pi, `sudo journalctl -u camfleet-streamer -o cat --no-pager --since @${Math.floor(stoppedAt / 1000)}`)).toMatch(/Watchdog timeout/);
    expect(mainPid(pi, 'camfleet-streamer')).not.toBe(hung);
    expect(restartedMs).toBeLessThan(18_000); // WatchdogSec=10, RestartSec=2, and room on a busy machine
    expect(ms).toBeLessThan(25_000);
    // One streamer ffmpeg: the hung streamer's went with it.
    expect(onHost(pi, `pgrep -c ${streamerFfmpeg}`).trim()).toBe('1');
    await expectConverged();
  });

  it('SSH lost mid-step: unreachable (exit 4), the report names the step, says the Pi may still run it and that no file was replaced; a re-run converges', async () => {
    // Take nodejs away so the run has a long step to cut: installing it again (from the Pi's apt cache).
    onHost(pi, 'sudo dpkg --remove --force-depends nodejs >/dev/null 2>&1');
    // The Pi is held as apt-get starts there: the connection goes while the step runs on the Pi,
    // every time (not before the step reached the Pi, nor after it finished).
    const hold = holdOnHost(pi, 'apt-get', '* install *');
    try {
      const run = provision();
      expect(await hold.reached(run)).toMatch(/ install .*\bnodejs\b/);
      expect(killSshSessions(pi, 'pi')).toBeGreaterThan(0);
      // The Pi carries on with the step it had begun, nobody left to read what apt-get says.
      hold.release();
      const cut = await run;
      const said = cut.stdout + cut.stderr;
      console.log(`SSH lost mid-step, the report:\n${said.split('\n').filter((l) => /lab1/.test(l)).slice(-3).join('\n')}`);
      // Reached, then lost: the host is unreachable, not a failed step.
      expect(cut.code).toBe(4);
      expect(said).toMatch(/lab1: unreachable — lab1: install packages nodejs: the SSH connection was lost during this step \(.+\); the Pi may still be running it\. This plan writes no new file \(it has no commit\): no file camfleet manages was replaced/);
      expect(said).toMatch(/Run camfleet again/);
      expect(said).not.toMatch(/lab1 +failed/);
      expect(said).not.toMatch(/status null/);
      // Whatever apt was doing on the Pi ends one way or the other; then one run converges it.
      await hold.finished(120_000);
      await msUntil(Date.now(), () => onHost(pi, 'pgrep -c -x "apt-get|dpkg" || true').trim() === '0', 30_000, 'apt on the Pi to finish');
    } finally {
      hold.remove();
    }
    const again = await provision();
    expect(again.stdout + again.stderr).not.toMatch(/failed/);
    expect(again.code).toBe(0);
    await waitForStream(url());
    await expectConverged();
  });

  it('SSH lost after the commit: unreachable (exit 4), the report says the new files are in place; a re-run carries out the restarts owed', async () => {
    inventory = writeInventory([pi], twoFileChange(8094, '600k'));
    // The Pi is held as the first restart after the commit starts there: the connection goes after
    // the commit and before the run could end, every time.
    const hold = holdOnHost(pi, 'systemctl', 'restart *');
    let cut: CliResult;
    let unit: string;
    try {
      const run = provision();
      unit = (await hold.reached(run)).split(' ')[1]!;
      expect(killSshSessions(pi, 'pi')).toBeGreaterThan(0);
      hold.release();
      cut = await run;
      await hold.finished(60_000);
    } finally {
      hold.remove();
    }
    const said = cut.stdout + cut.stderr;
    console.log(`SSH lost after the commit, the report:\n${said.split('\n').filter((l) => /lab1/.test(l)).slice(-3).join('\n')}`);
    expect(cut.code).toBe(4);
    expect(said).toMatch(
      new RegExp(`lab1: unreachable — lab1: restart ${unit.replaceAll('.', '\\.')} \\([^\\n]*: the SSH connection was lost during this step \\(.+\\); the Pi may still be running it\\. The commit had happened: the new files are in place`),
    );
    // The restarts still owed were noted on the Pi before the commit, the one cut off among them.
    expect(onHost(pi, 'sudo cat /var/lib/camfleet/pending-restarts')).toContain(`restart\t${unit}\n`);
    // It had: both files are the new ones.
    expect(onHost(pi, 'sudo cat /etc/camfleet/streamer.json')).toContain('"bitrate": 600000');
    expect(onHost(pi, 'sudo cat /etc/nginx/nginx.conf')).toMatch(/listen[^;\n]*8094/);
    const again = await provision();
    expect(again.code).toBe(0);
    await waitForStream(url());
    await expectConverged();
  });

  it('two runs at once on one Pi: one takes the Pi\'s lock, the other refuses at it and changes nothing; the Pi ends as the first left it', async () => {
    // A long apply (nodejs installed again from the Pi's apt cache), two operators with different bitrates.
    onHost(pi, 'sudo dpkg --remove --force-depends nodejs >/dev/null 2>&1');
    const bitrates = ['610k', '620k'] as const;
    const inventories = bitrates.map((bitrate) =>
      writeInventory([pi], (doc) => {
        doc.defaults.camera = { ...(doc.defaults.camera as object), bitrate };
      }),
    );
    // Whichever run takes the lock is held as its apt-get starts on the Pi, lock and all, until the
    // other run has ended: the two overlap every time, however this machine schedules them (the
    // other run cannot find the Pi free, nor finish before the first has taken the lock).
    const hold = holdOnHost(pi, 'apt-get', '* install *');
    let runs: CliResult[];
    let loser: number;
    try {
      const started = inventories.map((inv) => camfleet(['provision', '--inventory', inv, '--host', pi.name]));
      await hold.reached(Promise.all(started));
      // While one is held the other ends: it is the one refused.
      loser = await Promise.race(started.map((run, i) => run.then(() => i)));
      hold.release();
      runs = await Promise.all(started);
    } finally {
      hold.remove();
    }
    const winner = 1 - loser;
    console.log(`two runs at once: exit ${runs.map((r) => r.code).join(' and ')}; the refusal:\n${runs.map((r) => r.stdout + r.stderr).join('\n').split('\n').filter((l) => /lab1: failed/.test(l)).join('\n')}`);
    expect(runs[winner]!.code).toBe(0);
    expect(runs[loser]!.code).toBe(1);
    const refused = runs[loser]!.stdout + runs[loser]!.stderr;
    expect(refused).toMatch(/lab1: failed — lab1: lock: another camfleet run holds this Pi \(from 10\.213\.\d+\.1 since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\): its lock \/run\/camfleet\.lock is taken, so nothing was changed/);
    // Refused at its first step: its progress (stderr) shows none begun after the lock.
    const stepsRun = runs[loser]!.stderr.split('\n').filter((l) => /^lab1: /.test(l) && !/^lab1: (connect|observe|lock the Pi|failed)/.test(l));
    expect(stepsRun).toEqual([]);
    // The Pi is as the run that held the lock left it: its bitrate, and in sync with its inventory.
    expect(onHost(pi, 'sudo cat /etc/camfleet/streamer.json')).toContain(`"bitrate": ${parseInt(bitrates[winner]!) * 1000}`);
    inventory = inventories[winner]!;
    await expectConverged();
    // The lock went with the run that held it: the refused operator's run now goes through.
    inventory = inventories[loser]!;
    const again = await provision();
    expect(again.code).toBe(0);
    expect(onHost(pi, 'sudo cat /etc/camfleet/streamer.json')).toContain(`"bitrate": ${parseInt(bitrates[loser]!) * 1000}`);
    await waitForStream(url());
    await expectConverged();
  });

  it('disk full on the Pi: staging fails, nothing is swapped or left behind, the error names host, file and cause', async () => {
    const sums = () => onHost(pi, 'sudo sha256sum /etc/nginx/nginx.conf /etc/camfleet/streamer.json');
    const before = { sums: sums(), pids: { nginx: mainPid(pi, 'nginx'), streamer: mainPid(pi, 'camfleet-streamer') } };
    // /etc/camfleet on a tiny filesystem of its own, holding its file, then filled to the last block.
    onHost(pi, [
      'set -e',
      'sudo cp -a /etc/camfleet/streamer.json /tmp/streamer.json',
      'sudo mount -t tmpfs -o size=64k,mode=0755 camfleet-full /etc/camfleet',
      'sudo cp -a /tmp/streamer.json /etc/camfleet/streamer.json',
      'sudo dd if=/dev/zero of=/etc/camfleet/filler bs=4k 2>/dev/null || true',
    ].join('\n'));
    try {
      expect(sums()).toBe(before.sums);
      inventory = writeInventory([pi], twoFileChange(8090, '700k'));
      const r = await provision();
      const said = r.stdout + r.stderr;
      console.log(`disk full, the report:\n${said.split('\n').filter((l) => /lab1: failed/.test(l)).join('\n')}`);
      expect(r.code).toBe(1);
      expect(said).toMatch(/lab1: stage \/etc\/camfleet\/streamer\.json: cannot write the new \/etc\/camfleet\/streamer\.json beside the old one: No space left on device\. Nothing was changed/);
      // nginx.conf was staged and validated first: it was not swapped in alone.
      expect(sums()).toBe(before.sums);
      expect(leftovers(pi)).toBe('');
      expect({ nginx: mainPid(pi, 'nginx'), streamer: mainPid(pi, 'camfleet-streamer') }).toEqual(before.pids);
      await expectPlays(pi, url());

      // Space again: the same run goes through.
      onHost(pi, 'sudo rm /etc/camfleet/filler');
      const again = await provision();
      expect(again.code).toBe(0);
      expect(onHost(pi, 'sudo cat /etc/camfleet/streamer.json')).toContain('"bitrate": 700000');
    } finally {
      // Back onto the real disk: every file the runs wrote moves down from the tmpfs (streamer.json,
      // the version file).
      onHost(pi, [
        'set -e',
        'sudo rm -f /etc/camfleet/filler',
        'sudo rm -rf /tmp/camfleet-etc',
        'sudo cp -a /etc/camfleet /tmp/camfleet-etc',
        'sudo umount /etc/camfleet',
        'sudo cp -a /tmp/camfleet-etc/. /etc/camfleet/',
        'sudo rm -rf /tmp/camfleet-etc',
      ].join('\n'));
    }
    await expectConverged();
  });

  it('power cut while files are staged: booted again, no file is half-written, the leftovers go, one run converges', async () => {
    const files = '/etc/nginx/nginx.conf /etc/camfleet/streamer.json /opt/camfleet/streamer.mjs /etc/systemd/system/camfleet-streamer.service';
    const before = onHost(pi, `sudo sha256sum ${files}`);
    inventory = writeInventory([pi], twoFileChange(8092, '650k'));
    // The Pi is held as it stages streamer.json, nginx.conf staged (and validated) before it and
    // the version file not begun: the power goes while files are staged and before the commit, every time.
    const hold = holdOnHost(pi, 'chmod', '* /etc/camfleet/.streamer.json.camfleet-*');
    let run: CliResult;
    try {
      const running = provision();
      await hold.reached(running);
      await containerPowerCut(pi.name);
      run = await running;
      await containerBoot(pi.name);
    } finally {
      hold.remove();
    }
    expect(run.code).toBe(4);
    expect(run.stdout + run.stderr).toMatch(/lab1: stage \/etc\/camfleet\/streamer\.json: the SSH connection was lost during this step \(.+\)[^\n]*The commit had not happened/);

    // The cut came mid-staging: on the disk, a temp file beside each file the run had begun to
    // stage (its progress names them), none beside the version file, and every real file whole and as it was.
    const staged = run.stderr.split('\n').flatMap((l) => /^lab1: (?:create|update) (\S+)$/.exec(l)?.[1] ?? []);
    expect(staged).toEqual(['/etc/nginx/nginx.conf', '/etc/camfleet/streamer.json']);
    const left = leftovers(pi).split('\n');
    expect(left.map((l) => l.replace(/\/\.([^/]+)\.camfleet-[A-Za-z0-9]{6}$/, '/$1')).sort()).toEqual([...staged].sort());
    expect(onHost(pi, `sudo sha256sum ${files}`)).toBe(before);
    onHost(pi, 'sudo nginx -t -q');
    await waitForStream(url());
    const check = await provision('--check');
    expect(check.code).toBe(3);
    expect(check.stdout).toMatch(`remove ${left.length} file(s) an unfinished run staged: `);
    for (const l of left) expect(check.stdout).toContain(l);

    const again = await provision();
    expect(again.code).toBe(0);
    expect(leftovers(pi)).toBe('');
    expect(onHost(pi, 'sudo cat /etc/camfleet/streamer.json')).toContain('"bitrate": 650000');
    await waitForStream(url());
    await expectConverged();
  });
});
