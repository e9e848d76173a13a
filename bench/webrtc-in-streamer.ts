// Benchmark 13: would WebRTC inside the streamer's process pay (issue 30)? The Pi runs two Node
// runtimes, camfleet-streamer and camfleet-webrtc. Measured here, side by side: the two as they
// run on a Pi (two processes), camfleet-webrtc in a worker thread of the streamer (its own V8
// isolate and heap: a fault in it stays in it) and in the streamer's own isolate (one heap: an
// exception in werift could end the stream). The arrangements other than the first are probes
// for this bench, not something camfleet ships.
// Each runs the real Pi bundles with the Pi's own node and ffmpeg (Debian's, in the container lab
// Pi's ready image, through systemd-nspawn on this machine's network: no node of this machine's
// shares their pages, which would halve them in PSS) against real nginx-rtmp, fed by the streamer's
// own ffmpeg (720p30 libx264 test pattern, its tee's RTP output to camfleet-webrtc), with the webrtc unit's settings
// (MALLOC_ARENA_MAX=2, --max-semi-space-size=4) where camfleet-webrtc runs, and is measured only
// once camfleet-webrtc says its stream is live. Figures: PSS of the node processes (the encoding
// ffmpeg is the same in all three and left out), sampled each second, median; no viewers (what a
// viewer adds is camfleet-webrtc's heap, the same wherever it runs).
//
//   sudo npx tsx bench/webrtc-in-streamer.ts [--seconds 15]      (about 1.5 min)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { profileLevelId } from '../contract/h264-profile.ts';
import { defaultStreamerConfig, type StreamerConfig } from '../contract/streamer-config.ts';
import type { WebrtcConfig } from '../contract/webrtc-config.ts';
import { startNginxRtmp } from '../lab/nginx-rtmp.ts';
import { ensureImage } from '../lab/image.ts';
import { freePort, processMemory, processTree, signal, waitFor } from '../lab/processes.ts';
import { buildStreamerBundle } from '../streamer/build.ts';
import { buildWebrtcBundle } from '../webrtc/build.ts';

export type Arrangement = 'two processes' | 'worker thread' | 'one isolate';
export const arrangements: readonly Arrangement[] = ['two processes', 'worker thread', 'one isolate'];

export interface MergeFigures {
  seconds: number;
  /** Median PSS (MiB) of the node processes in each arrangement. */
  pssMiB: Record<Arrangement, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const webrtcFlags = ['--max-semi-space-size=4'];

// The probes: each takes the streamer's bundle, camfleet-webrtc's bundle and webrtc.json, then the
// streamer's own arguments. The streamer and camfleet-webrtc each read their flags from
// process.argv when they load, so each is given its own before it loads.
const workerHost = `import { Worker } from 'node:worker_threads';
const [streamer, webrtc, webrtcConfig, ...args] = process.argv.slice(2);
new Worker(webrtc, { argv: ['--config', webrtcConfig] }).on('error', (e) => console.error('webrtc worker:', e.message));
process.argv = [process.argv[0], streamer, ...args];
await import(streamer);
`;
const isolateHost = `import { createRequire } from 'node:module';
const [streamer, webrtc, webrtcConfig, ...args] = process.argv.slice(2);
const node = process.argv[0];
process.argv = [node, webrtc, '--config', webrtcConfig];
createRequire(import.meta.url)(webrtc);
process.argv = [node, streamer, ...args];
await import(streamer);
`;

// An empty folder every Debian image has: the image is mounted read-only, so no new mount point.
const inside = '/mnt';
const file = (name: string) => `${inside}/${name}`;

/** One arrangement started in the Pi's image: systemd-nspawn, whose tree holds its node processes. */
function launch(arrangement: Arrangement, image: string, dir: string): ChildProcess {
  const streamer = [file('streamer.mjs'), '--config', file('streamer.json'), '--stream-key-file', file('stream-key')];
  const asWebrtcUnit = ['env', 'MALLOC_ARENA_MAX=2', 'node', ...webrtcFlags];
  const probe = file(arrangement === 'worker thread' ? 'worker-host.mjs' : 'isolate-host.mjs');
  // Paths of this bench's own, without spaces: a plain join is the shell's words.
  const command =
    arrangement === 'two processes'
      ? `node ${streamer.join(' ')} & exec ${[...asWebrtcUnit, file('webrtc.cjs'), '--config', file('webrtc.json')].join(' ')}`
      : `exec ${[...asWebrtcUnit, probe, streamer[0], file('webrtc.cjs'), file('webrtc.json'), ...streamer.slice(1)].join(' ')}`;
  // Read-only: nothing the arrangements do is kept; this machine's network, so nginx-rtmp and the status page are on loopback.
  return spawn('systemd-nspawn', ['-q', '--read-only', '--as-pid2', '--register=no', '--keep-unit', '--machine=camfleet-merge-bench', `--bind=${dir}:${inside}`, '-D', image, '--', 'sh', '-c', command], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** What a container wrote to stderr, for an error: nspawn also says things there that are not. */
function stderrOf(container: ChildProcess): () => string {
  let text = '';
  container.stderr?.setEncoding('utf8').on('data', (chunk: string) => (text = (text + chunk).slice(-2000)));
  return () => text.trim();
}

const nodesIn = (container: ChildProcess): number[] =>
  processTree(container.pid!).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'node';
    } catch {
      return false;
    }
  });

/** SIGTERM to its node processes (the streamer takes its ffmpeg down); nspawn ends with its payload. */
async function stop(container: ChildProcess): Promise<void> {
  if (container.exitCode !== null || container.signalCode !== null) return;
  const exited = new Promise((r) => container.once('exit', r));
  for (const pid of nodesIn(container)) signal(pid, 'SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  container.kill('SIGKILL');
  await exited;
}

async function streamLive(whepPort: number): Promise<boolean> {
  try {
    const status = (await (await fetch(`http://127.0.0.1:${whepPort}/whep/status`)).json()) as { streamIdleMs: number };
    return status.streamIdleMs < 500;
  } catch {
    return false;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchWebrtcInStreamer(o: { seconds?: number; log?: (line: string) => void } = {}): Promise<MergeFigures> {
  const seconds = o.seconds ?? 15;
  const log = o.log ?? (() => {});
  const image = await ensureImage('ready', log);
  const dir = mkdtempSync(join(tmpdir(), 'camfleet-merge-bench-'));
  const nginx = await startNginxRtmp();
  try {
    const [rtpPort, whepPort] = [await freePort(), await freePort()];
    const camera = { ...defaultStreamerConfig, device: 'lavfi:testsrc2', encoder: 'libx264' as const };
    const streamerConfig: StreamerConfig = { ...camera, server: nginx.server, statusFile: '', rtpPort };
    const webrtcConfig: WebrtcConfig = {
      rtpPort,
      listen: { host: '127.0.0.1', port: whepPort },
      icePorts: [51000, 51019],
      profileLevelId: profileLevelId(camera.width, camera.height, camera.fps),
      maxViewers: 20,
    };
    writeFileSync(join(dir, 'streamer.json'), JSON.stringify(streamerConfig));
    writeFileSync(join(dir, 'stream-key'), '# Managed by camfleet\nbench\n');
    writeFileSync(join(dir, 'webrtc.json'), JSON.stringify(webrtcConfig));
    writeFileSync(join(dir, 'streamer.mjs'), await buildStreamerBundle());
    writeFileSync(join(dir, 'webrtc.cjs'), await buildWebrtcBundle());
    writeFileSync(join(dir, 'worker-host.mjs'), workerHost);
    writeFileSync(join(dir, 'isolate-host.mjs'), isolateHost);

    const pssMiB = {} as Record<Arrangement, number>;
    for (const arrangement of arrangements) {
      const container = launch(arrangement, image.rootfs, dir);
      const stderr = stderrOf(container);
      try {
        const exited = () => container.exitCode !== null || container.signalCode !== null;
        await waitFor(async () => {
          if (exited()) throw new Error(`${arrangement}: systemd-nspawn ended before the stream was live:\n${stderr()}`);
          return streamLive(whepPort);
        }, { timeoutMs: 40_000, what: `camfleet-webrtc's stream (${arrangement})`, intervalMs: 500 });
        await sleep(10_000); // past start-up and its garbage, into the steady state
        log(`sampling ${arrangement} for ${seconds} s`);
        const samples: number[] = [];
        for (let i = 0; i < seconds; i++) {
          await sleep(1000);
          if (!(await streamLive(whepPort))) throw new Error(`${arrangement}: camfleet-webrtc's stream stopped`);
          const nodes = nodesIn(container);
          if (nodes.length !== (arrangement === 'two processes' ? 2 : 1)) throw new Error(`${arrangement}: ${nodes.length} node processes`);
          samples.push(nodes.reduce((kib, pid) => kib + processMemory(pid), 0) / 1024);
        }
        pssMiB[arrangement] = median(samples);
      } finally {
        await stop(container);
      }
    }
    return { seconds, pssMiB };
  } finally {
    await nginx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatWebrtcInStreamer(r: MergeFigures): string[] {
  const base = r.pssMiB['two processes'];
  return arrangements.map((a) => {
    const saved = base - r.pssMiB[a];
    const beside = a === 'two processes' ? 'as a Pi runs them' : `${saved.toFixed(1)} MiB less than two processes (${((saved / base) * 100).toFixed(0)} %)`;
    return `${a}: ${r.pssMiB[a].toFixed(1)} MiB PSS of node, median of ${r.seconds} s: ${beside}`;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { seconds: { type: 'string' } } });
  const r = await benchWebrtcInStreamer({ seconds: values.seconds ? Number(values.seconds) : undefined, log: (l) => console.error(`  … ${l}`) });
  for (const line of formatWebrtcInStreamer(r)) console.log(line);
}
