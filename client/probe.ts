// Read a stream headless with ffmpeg and report what arrives: codec, size, fps, bitrate, time to
// first frame and an estimate of latency. Touches the network (one RTMP play, one TCP connect).
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { urlEndpoint } from './url.ts';

export interface ProbeOptions {
  /** How long to read once the first frame has arrived. */
  seconds: number;
  /** Give up when no frame arrives within this. */
  timeoutMs?: number;
  ffmpeg?: string;
}

export interface ProbeReport {
  codec: string | null;
  profile: string | null;
  /** As the decoder sees it, e.g. yuv420p (what every player handles). */
  pixelFormat: string | null;
  width: number | null;
  height: number | null;
  /** From the frames' timestamps. */
  fps: number | null;
  /** Bits per second of video received. */
  bitrate: number | null;
  /** From starting ffmpeg to the first decoded frame: connect, handshake, wait for a keyframe. */
  firstFrameMs: number;
  frames: number;
  seconds: number;
  /** TCP connect round trip to the server. */
  rttMs: number | null;
  /**
   * Clock-free estimate of capture-to-reader latency: half the round trip, one frame for the
   * encoder, plus how far the median frame arrived behind the most punctual one (buffering on
   * the way: server, network, reader). Publisher and reader clocks never need to agree.
   */
  latencyEstimateMs: number | null;
}

/** No frame arrived: the message says why, in ffmpeg's words when it has any. */
export class NoStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoStreamError';
  }
}

/** One decoded frame, as ffmpeg's showinfo reports it, and when we read that line. */
export interface FrameArrival {
  n: number;
  ptsMs: number;
  arrivedAt: number;
  width: number;
  height: number;
}

/** `[Parsed_showinfo_0 @ 0x..] n:   3 pts:    100 pts_time:0.1 ... s:1280x720 ...` */
export function parseShowinfo(line: string, arrivedAt: number): FrameArrival | undefined {
  const m = /\bn:\s*(\d+)\s+pts:\s*-?\d+\s+pts_time:(-?[\d.]+)/.exec(line);
  if (!m) return undefined;
  const s = /\bs:(\d+)x(\d+)/.exec(line);
  return { n: Number(m[1]), ptsMs: Number(m[2]) * 1000, arrivedAt, width: Number(s?.[1] ?? 0), height: Number(s?.[2] ?? 0) };
}

export interface StreamInfo {
  codec: string;
  profile: string | null;
  pixelFormat: string | null;
}

/** `Stream #0:0: Video: h264 (High), yuv420p(progressive), 1280x720 ...` -> codec, profile, pixel format. */
export function parseStreamLine(line: string): StreamInfo | undefined {
  const m = /Stream #0:\d+.*?: Video: (\w+)(?: \(([^)]+)\))?[^,]*(?:, (\w+))?/.exec(line);
  return m ? { codec: m[1] ?? '', profile: m[2] ?? null, pixelFormat: m[3] ?? null } : undefined;
}

/** Reader flags: start decoding at once (tiny probe), no reordering delay, no Nagle. */
export function readerInputArgs(url: string): string[] {
  // Not -fflags nobuffer: with nginx-rtmp it delays the first frame by a whole GOP (LAB-NOTES),
  // and with a 32-byte probe there is nothing left for it to save.
  return ['-flags', 'low_delay', '-probesize', '32', '-analyzeduration', '0', '-tcp_nodelay', '1', '-i', url];
}

export async function probeStream(url: string, options: ProbeOptions): Promise<ProbeReport> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const rttMs = await connectTime(url, Math.min(timeoutMs, 3000));
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'info', '-nostats',
    ...readerInputArgs(url),
    // Two outputs: the untouched video to our stdout (its bytes give the bitrate), and the
    // decoded frames through showinfo (their lines give size, timestamps and arrival times).
    '-map', '0:v:0', '-c', 'copy', '-f', 'flv', 'pipe:1',
    '-map', '0:v:0', '-vf', 'showinfo', '-f', 'null', '-',
  ];
  const started = Date.now();
  const child = spawn(options.ffmpeg ?? 'ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const frames: FrameArrival[] = [];
  let stream: StreamInfo | undefined;
  let bytes = 0;
  let bytesAtFirstFrame = 0;
  const lastLines: string[] = [];

  child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
  let pending = '';
  let stopTimer: NodeJS.Timeout | undefined;
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    const now = Date.now();
    pending += chunk;
    const lines = pending.split(/\r|\n/);
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const frame = parseShowinfo(line, now);
      if (frame) {
        if (frames.length === 0) {
          bytesAtFirstFrame = bytes;
          stopTimer = setTimeout(() => child.kill('SIGINT'), options.seconds * 1000);
        }
        frames.push(frame);
        continue;
      }
      stream ??= parseStreamLine(line);
      if (line.trim()) lastLines.push(line.trim());
      if (lastLines.length > 5) lastLines.shift();
    }
  });
  const noFrameTimer = setTimeout(() => {
    if (frames.length === 0) child.kill('SIGKILL');
  }, timeoutMs);

  const exit = await new Promise<{ code: number | null; error?: string }>((resolve) => {
    child.once('error', (e) => resolve({ code: null, error: e.message }));
    child.once('close', (code) => resolve({ code }));
  });
  clearTimeout(noFrameTimer);
  clearTimeout(stopTimer);

  if (exit.error) throw new NoStreamError(`cannot run ffmpeg: ${exit.error}`);
  const first = frames[0];
  const last = frames.at(-1);
  if (!first || !last) {
    const why = Date.now() - started >= timeoutMs ? `no frames within ${(timeoutMs / 1000).toFixed(0)} s (is anything publishing?)` : lastLines.at(-1) ?? `ffmpeg exited with code ${exit.code}`;
    throw new NoStreamError(why);
  }

  const mediaSeconds = (last.ptsMs - first.ptsMs) / 1000;
  const wallSeconds = (last.arrivedAt - first.arrivedAt) / 1000;
  const fps = frames.length > 1 && mediaSeconds > 0 ? (frames.length - 1) / mediaSeconds : null;
  return {
    codec: stream?.codec ?? null,
    profile: stream?.profile ?? null,
    pixelFormat: stream?.pixelFormat ?? null,
    width: last.width || null,
    height: last.height || null,
    fps,
    bitrate: wallSeconds > 0 ? Math.round(((bytes - bytesAtFirstFrame) * 8) / wallSeconds) : null,
    firstFrameMs: first.arrivedAt - started,
    frames: frames.length,
    seconds: wallSeconds,
    rttMs,
    latencyEstimateMs: estimateLatency(frames, rttMs, fps),
  };
}

/** See ProbeReport.latencyEstimateMs. Pure. */
export function estimateLatency(frames: readonly FrameArrival[], rttMs: number | null, fps: number | null): number | null {
  const first = frames[0];
  if (!first || frames.length < 2 || !fps) return null;
  // How late each frame arrived relative to the first, beyond what its timestamp says.
  const lateness = frames.map((f) => f.arrivedAt - first.arrivedAt - (f.ptsMs - first.ptsMs)).sort((a, b) => a - b);
  const buffering = (lateness[Math.floor(lateness.length / 2)] ?? 0) - (lateness[0] ?? 0);
  return Math.round((rttMs ?? 0) / 2 + 1000 / fps + buffering);
}

/** TCP connect time to the URL's host:port; null when it cannot connect. */
function connectTime(url: string, timeoutMs: number): Promise<number | null> {
  const { host, port } = urlEndpoint(url);
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const socket = connect({ host, port });
    const done = (ms: number | null): void => {
      socket.destroy();
      resolve(ms);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.once('connect', () => done(Number(process.hrtime.bigint() - t0) / 1e6));
    socket.once('error', () => done(null));
  });
}
