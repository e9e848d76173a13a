// Faults a Pi must survive without its operator, injected for real into a provisioned lab Pi
// (ready image: this is about recovery, the fresh install is provision.e2e's). Each case measures
// how long the stream was gone and checks that nothing was lost: the config on the Pi is still
// exactly what camfleet wrote (a --check run finds nothing to do) and the stream plays here again.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerDown, containerUp } from '../lab/container.ts';
import type { LabHost } from '../lab/state.ts';
import { camfleet, root, type CliResult } from './support/cli.ts';
import { ffprobe, labUnavailable, mainPid, onHost, waitForStream, writeInventory } from './support/lab.ts';

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

/** camfleet as a child process, with `onLine` told each line it prints on stderr (its progress) as it comes. */
function camfleetWatched(args: string[], onLine: (line: string) => void): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'provision', 'cli.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => {
      const from = stderr.length;
      stderr += d;
      for (const line of stderr.slice(stderr.lastIndexOf('\n', from) + 1).split('\n').slice(0, -1)) onLine(line);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** SIGKILL, from this machine, the sshd processes serving `user`'s sessions on a container lab Pi (not its listener). */
function killSshSessions(host: LabHost, user: string): number {
  let killed = 0;
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    const read = (f: string) => {
      try {
        return readFileSync(`/proc/${pid}/${f}`, 'utf8');
      } catch {
        return '';
      }
    };
    if (!read('cmdline').startsWith(`sshd: ${user}`) || read('root/etc/hostname').trim() !== host.name) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
      killed++;
    } catch {
      // gone already
    }
  }
  return killed;
}

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
    expect(plays(url())).toBe(true);
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

  it('nginx killed with SIGKILL: systemd starts it again and the stream plays within 10 s', async () => {
    const streamer = mainPid(pi, 'camfleet-streamer');
    const killedAt = Date.now();
    onHost(pi, 'sudo pkill -KILL -x nginx');
    expect(plays(url())).toBe(false);
    // Back means the streamer publishes again (its own log says when), and a player here reads it.
    const ms = (await eventAt(pi, killedAt, 'streaming', 30_000)) - killedAt;
    expect(plays(url())).toBe(true);
    console.log(`nginx killed: streaming again after ${ms} ms`);
    expect(ms).toBeLessThan(10_000);
    expect(onHost(pi, 'systemctl is-active nginx').trim()).toBe('active');
    // The streamer rode it out: it reconnected rather than being restarted.
    expect(mainPid(pi, 'camfleet-streamer')).toBe(streamer);
    await expectConverged();
  });

  it('ffmpeg stopped without exiting (SIGSTOP): the streamer notices within a few seconds and replaces it', async () => {
    const streamer = mainPid(pi, 'camfleet-streamer');
    const stoppedAt = Date.now();
    onHost(pi, 'sudo pkill -STOP -x ffmpeg');
    const noticedMs = (await eventAt(pi, stoppedAt, 'ffmpeg-stalled', 30_000)) - stoppedAt;
    const ms = (await eventAt(pi, stoppedAt, 'streaming', 30_000)) - stoppedAt;
    expect(plays(url())).toBe(true);
    console.log(`ffmpeg stopped: noticed after ${noticedMs} ms, streaming again after ${ms} ms`);
    expect(noticedMs).toBeLessThan(6000);
    expect(ms).toBeLessThan(10_000);
    // The stuck one is gone, not left stopped beside its replacement; the streamer itself carried on.
    expect(onHost(pi, 'ps -o stat= -C ffmpeg').trim().split('\n')).toEqual([expect.stringMatching(/^[RS]/)]);
    expect(mainPid(pi, 'camfleet-streamer')).toBe(streamer);
    await expectConverged();
  });

  it('streamer hung (SIGSTOP): the systemd watchdog kills and restarts it, and the stream comes back', async () => {
    const hung = mainPid(pi, 'camfleet-streamer');
    const stoppedAt = Date.now();
    onHost(pi, `sudo kill -STOP ${hung}`);
    const restartedMs = (await eventAt(pi, stoppedAt, 'start', 40_000)) - stoppedAt;
    const ms = (await eventAt(pi, stoppedAt, 'streaming', 40_000)) - stoppedAt;
    expect(plays(url())).toBe(true);
    console.log(`streamer stopped: restarted by the watchdog after ${restartedMs} ms, streaming again after ${ms} ms`);
    expect(onHost(pi, `sudo journalctl -u camfleet-streamer -o cat --no-pager --since @${Math.floor(stoppedAt / 1000)}`)).toMatch(/Watchdog timeout/);
    expect(mainPid(pi, 'camfleet-streamer')).not.toBe(hung);
    expect(restartedMs).toBeLessThan(15_000);
    expect(ms).toBeLessThan(20_000);
    // One ffmpeg: the hung streamer's went with it.
    expect(onHost(pi, 'pgrep -c -x ffmpeg').trim()).toBe('1');
    await expectConverged();
  });

  it('SSH lost mid-step: the report names the step and says the Pi may still run it; a re-run converges', async () => {
    // Take nodejs away so the run has a long step to cut: installing it again (from the Pi's apt cache).
    onHost(pi, 'sudo dpkg --remove --force-depends nodejs >/dev/null 2>&1');
    let killed = 0;
    const cut = await camfleetWatched(['provision', '--inventory', inventory, '--host', pi.name], (line) => {
      if (!killed && /^lab1: install packages/.test(line)) killed = killSshSessions(pi, 'pi');
    });
    expect(killed).toBeGreaterThan(0);
    const said = cut.stdout + cut.stderr;
    console.log(`SSH lost mid-step, the report:\n${said.split('\n').filter((l) => /lab1/.test(l)).slice(-3).join('\n')}`);
    expect(cut.code).toBe(1);
    expect(said).toMatch(/lab1: install packages nodejs: the SSH connection was lost during this step \(.+\); the Pi may still be running it/);
    expect(said).toMatch(/Run camfleet again/);
    expect(said).not.toMatch(/status null/);
    // Whatever apt was doing on the Pi ends one way or the other; then one run converges it.
    await msUntil(Date.now(), () => onHost(pi, 'pgrep -c -x "apt-get|dpkg" || true').trim() === '0', 120_000, 'apt on the Pi to finish');
    const again = await provision();
    expect(again.stdout + again.stderr).not.toMatch(/failed/);
    expect(again.code).toBe(0);
    await waitForStream(url());
    await expectConverged();
  });
});
