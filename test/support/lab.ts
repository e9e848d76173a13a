// Lab Pis for end-to-end tests: real Debian hosts with systemd and sshd (lab/container.ts), an
// inventory pointing at them that a test may change, and ssh into them to look from the inside.
import { execFileSync, spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { sshArgs } from '../../lab/ssh-args.ts';
import type { LabHost } from '../../lab/state.ts';
import type { CliResult } from './cli.ts';

/** Why lab tests cannot run here, or undefined when they can. */
export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'lab Pis need root (network namespaces, overlay mounts, systemd-nspawn)';
  for (const tool of ['systemd-nspawn', 'debootstrap', 'ip']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (sudo npm test installs it)`;
  }
  return undefined;
}

/** Run a command on a lab Pi as pi (use sudo inside for root); throws with stderr on failure. */
export function onHost(host: LabHost, command: string): string {
  try {
    return execFileSync('ssh', sshArgs(host, ['-o', 'BatchMode=yes', command]), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const { status, stdout, stderr } = e as { status: number; stdout: string; stderr: string };
    throw new Error(`${host.name}: \`${command}\` exited ${status}\nstdout: ${stdout}\nstderr: ${stderr}`);
  }
}

/**
 * pgrep/pkill arguments matching the streamer's own ffmpeg (the one encoder), by its unit's cgroup:
 * the recorder and the ingests run ffmpegs beside it that only copy the stream.
 */
export const streamerFfmpeg = '-x ffmpeg --cgroup /system.slice/camfleet-streamer.service';

/** systemd's state once start-up finished, with the failed units when it is not `running`. */
export function systemState(host: LabHost): string {
  return onHost(host, 'state=$(systemctl is-system-running --wait); echo "$state"; [ "$state" = running ] || systemctl --failed --no-legend --plain').trim();
}

export function mainPid(host: LabHost, unit: string): number {
  return Number(onHost(host, `systemctl show -p MainPID --value ${unit}`).trim());
}

export { writeInventory, type Edit } from '../../lab/scratch-inventory.ts';

/** `camfleet provision` of one lab Pi, with extra arguments. */
type Provision = (...args: string[]) => Promise<CliResult>;

/**
 * Provision a fresh lab Pi (any kind) and check it streams: apt installed nginx-rtmp, the run
 * changed the Pi, nginx and the streamer are active, RTMP listens.
 */
export async function provisionFresh(pi: LabHost, provision: Provision): Promise<void> {
  const r = await provision();
  expect(r.stderr + r.stdout).not.toMatch(/failed/);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/install packages .*libnginx-mod-rtmp/);
  expect(r.stdout).toMatch(new RegExp(`\\b${pi.name} +changed`));
  expect(onHost(pi, 'systemctl is-active nginx camfleet-streamer').trim().split('\n')).toEqual(['active', 'active']);
  expect(onHost(pi, 'ss -Hltn sport = :1935')).toContain(':1935');
}

/** Provision a converged lab Pi again: 0 changes, and neither nginx nor the streamer restarted. */
export async function provisionAgainChangesNothing(pi: LabHost, provision: Provision): Promise<void> {
  const before = { nginx: mainPid(pi, 'nginx'), streamer: mainPid(pi, 'camfleet-streamer') };
  const r = await provision('--json');
  expect(r.code).toBe(0);
  const [host] = (JSON.parse(r.stdout) as { hosts: { outcome: string; plan: { changes: number } | null }[] }).hosts;
  expect(host?.outcome).toBe('ok');
  expect(host?.plan?.changes).toBe(0);
  expect({ nginx: mainPid(pi, 'nginx'), streamer: mainPid(pi, 'camfleet-streamer') }).toEqual(before);
}

/** ffprobe an RTMP URL from this machine: codec, size and frame rate of the first video stream. */
export function ffprobe(url: string, timeoutS = 20): { codec: string; width: number; height: number; fps: string } {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-rw_timeout', String(timeoutS * 1_000_000), '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,r_frame_rate', '-of', 'json', url],
    { encoding: 'utf8', timeout: (timeoutS + 5) * 1000 },
  );
  const s = (JSON.parse(out) as { streams: { codec_name: string; width: number; height: number; r_frame_rate: string }[] }).streams[0];
  if (!s) throw new Error(`no video stream at ${url}`);
  return { codec: s.codec_name, width: s.width, height: s.height, fps: s.r_frame_rate };
}

/** Retry ffprobe until the stream is there (the streamer needs a moment after a restart); `onFirstFailure` hears the first probe that fails. */
export async function waitForStream(url: string, timeoutMs = 30_000, onFirstFailure?: (e: Error) => void): Promise<ReturnType<typeof ffprobe>> {
  const deadline = Date.now() + timeoutMs;
  for (let probes = 1; ; probes++) {
    try {
      return ffprobe(url, 10);
    } catch (e) {
      if (probes === 1) onFirstFailure?.(e as Error);
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
