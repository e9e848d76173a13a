// Benchmark 4: glass-to-glass-ish latency, publisher -> nginx-rtmp -> reader, on loopback at
// 720p30, with the seed's ffmpeg flags and with the streamer's own, measured in one run.
//
// Method (LAB-NOTES): the publisher stamps every frame with the wall clock as it leaves the
// source (setpts=(RTCTIME-K)/1000 in a 1/1000 time base, so FLV's millisecond timestamps carry it
// through nginx-rtmp); the reader keeps those timestamps (-copyts) and prints each decoded frame
// (showinfo). A frame's latency = when its showinfo line reached us - (K + its pts). Publisher
// and reader run on this machine, so they share one clock.
//
//   npx tsx bench/latency.ts [--seconds 10]
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseShowinfo, readerInputArgs } from '../client/probe.ts';
import { publishUrl } from '../contract/streamer-config.ts';
import { defaultConfig, type StreamerSettings } from '../streamer/config.ts';
import { ffmpegArgs } from '../streamer/ffmpeg-args.ts';
import { startNginxRtmp } from '../lab/nginx-rtmp.ts';

export interface LatencyFigures {
  medianMs: number;
  p95Ms: number;
  /** Frames measured (after the warm-up). */
  frames: number;
  /** Frames per second that reached the reader: under 30 means the encoder fell behind. */
  fps: number;
}

export interface LatencyOptions {
  /** How long each publisher is measured. */
  seconds?: number;
  /** Progress notes (stderr when run alone). */
  log?: (line: string) => void;
}

const width = 1280;
const height = 720;
const fps = 30;
const bitrate = 2_500_000;
/** The first frames after joining arrive in a burst: not what a viewer lives with. */
const warmUpMs = 1500;

/** Wall-clock stamp on every frame, milliseconds since `kMs`. */
function stampFilter(kMs: number): string[] {
  return ['-vf', `settb=1/1000,setpts=(RTCTIME-${kMs * 1000})/1000`, '-enc_time_base:v', '1:1000'];
}

/**
 * The seed's stream_to_rtmp.py as it runs by default (its low-latency flags are opt-in): libx264
 * with a bitrate and yuv420p, everything else ffmpeg's defaults (preset medium: B-frames, a
 * 40-frame lookahead, a 250-frame GOP).
 */
function seedPublisher(to: Target, kMs: number): string[] {
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-re', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`,
    ...stampFilter(kMs),
    '-c:v', 'libx264', '-b:v', String(bitrate), '-pix_fmt', 'yuv420p', '-an',
    '-f', 'flv', publishUrl(to.server, to.key),
  ];
}

/** The streamer's own command (streamer/ffmpeg-args.ts) with a lavfi source, plus the stamp. */
function ourPublisher(to: Target, kMs: number): string[] {
  const config: StreamerSettings = { ...defaultConfig, device: 'lavfi:testsrc2', width, height, fps, gop: fps, bitrate, encoder: 'libx264', server: to.server, streamKey: to.key };
  const args = ffmpegArgs(config, 'libx264');
  const at = args.indexOf('-an');
  return [...args.slice(0, at), ...stampFilter(kMs), ...args.slice(at)];
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** Where a publisher publishes: nginx-rtmp's application and a stream key. */
interface Target {
  server: string;
  key: string;
}

/** One publisher into nginx-rtmp, one reader out of it; latency of every frame after warm-up. */
async function measure(to: Target, publisherArgs: (to: Target, kMs: number) => string[], seconds: number): Promise<LatencyFigures> {
  const url = publishUrl(to.server, to.key);
  // K a little in the past: timestamps start positive, so no muxer shifts them.
  const kMs = Date.now() - 10_000;
  const children: ChildProcess[] = [];
  try {
    // The reader first: nginx-rtmp holds a player until the stream is published.
    const reader = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'info', '-copyts', ...readerInputArgs(url), '-vf', 'showinfo', '-f', 'null', '-'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(reader);
    await new Promise((r) => setTimeout(r, 300));
    const publisher = spawn('ffmpeg', publisherArgs(to, kMs), { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(publisher);
    let publisherErrors = '';
    publisher.stderr?.setEncoding('utf8').on('data', (s: string) => (publisherErrors += s));

    const latencies: number[] = [];
    let firstAt = 0;
    let pending = '';
    await new Promise<void>((resolve, reject) => {
      const giveUp = setTimeout(() => reject(new Error(`no frames within 15 s: ${publisherErrors.trim() || 'reader saw nothing'}`)), 15_000);
      const done = (): void => {
        clearTimeout(giveUp);
        resolve();
      };
      reader.once('close', done);
      reader.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        const now = Date.now();
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const frame = parseShowinfo(line, now);
          if (!frame) continue;
          if (!firstAt) {
            firstAt = now;
            clearTimeout(giveUp);
            setTimeout(done, (seconds * 1000) + warmUpMs);
          }
          if (now - firstAt >= warmUpMs) latencies.push(now - (kMs + frame.ptsMs));
        }
      });
    });
    latencies.sort((a, b) => a - b);
    return { medianMs: percentile(latencies, 50), p95Ms: percentile(latencies, 95), frames: latencies.length, fps: latencies.length / seconds };
  } finally {
    await Promise.all(children.map(stopChild));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function benchLatency(o: LatencyOptions = {}): Promise<{ seed: LatencyFigures; ours: LatencyFigures }> {
  const seconds = o.seconds ?? 10;
  const log = o.log ?? (() => {});
  const nginx = await startNginxRtmp();
  try {
    // One after the other, not at once: two 720p encoders would fight over this machine's cores
    // and each would be measured under the other's load.
    log(`seed's flags: ${seconds} s at ${width}x${height}@${fps}`);
    const seed = await measure({ server: nginx.server, key: 'seed' }, seedPublisher, seconds);
    log(`our flags: ${seconds} s at ${width}x${height}@${fps}`);
    const ours = await measure({ server: nginx.server, key: 'ours' }, ourPublisher, seconds);
    return { seed, ours };
  } finally {
    await nginx.stop();
  }
}

export function formatLatency(r: { seed: LatencyFigures; ours: LatencyFigures }): string {
  const ms = (v: number): string => `${v.toFixed(0)} ms`;
  return (
    `latency publisher -> nginx-rtmp -> reader, loopback ${width}x${height}@${fps}: ` +
    `seed's flags median ${ms(r.seed.medianMs)} p95 ${ms(r.seed.p95Ms)}; ours median ${ms(r.ours.medianMs)} p95 ${ms(r.ours.p95Ms)} ` +
    `— goal median < 300 ms: ${r.ours.medianMs < 300 ? 'meets goal' : 'MISSES goal'}`
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--seconds');
  const seconds = i > 0 ? Number(process.argv[i + 1]) : undefined;
  const r = await benchLatency({ seconds, log: (l) => console.error(`  … ${l}`) });
  console.log(formatLatency(r));
  console.log(
    `  (reader fps: seed ${r.seed.fps.toFixed(1)}, ours ${r.ours.fps.toFixed(1)} of ${fps}; reader: ffmpeg -copyts ${readerInputArgs('URL').slice(0, -2).join(' ')})`,
  );
}
