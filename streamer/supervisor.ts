// Keeps one ffmpeg streaming for as long as the streamer runs: waits for the camera to appear,
// restarts ffmpeg when it exits (camera unplugged, nginx restarted, "Device or resource busy")
// with capped exponential backoff, kills it when frames stop flowing, and stops it on request.
// It also waits for the RTMP server to listen, so nginx coming back is noticed within one poll
// rather than after a backoff that grew while nginx was down.
// Every wait is a timer: the streamer sleeps between events and never spins the CPU.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { StreamerSettings } from './config.ts';
import { chooseEncoder } from './encoder.ts';
import { captureArgs, captureProgram, ffmpegArgs, sourcePath } from './ffmpeg-args.ts';
import type { Logger } from './log.ts';
import { rtmpEndpoint, serverListening } from './rtmp-server.ts';
import type { StatusReporter } from './status.ts';

export interface SupervisorTimings {
  /** First restart delay; doubles on every quick failure. */
  backoffInitialMs: number;
  /** Backoff cap: nginx back after a restart means streaming again within this. */
  backoffMaxMs: number;
  /** An ffmpeg that streamed this long was healthy: the next failure starts the backoff afresh. */
  healthyMs: number;
  /** How often to look for a missing camera device or a server that is not listening. */
  devicePollMs: number;
  /** ffmpeg alive but no new frame for this long is stuck (SIGSTOP, a camera that stopped
   *  delivering): kill and restart it. Progress arrives once a second, so a few seconds is sure. */
  stallMs: number;
  /** Before the first frame (opening the camera, the RTMP handshake), allow this long instead. */
  firstFrameMs: number;
  /** ... and this long for a libcamera camera: its capture starts GStreamer, libcamera and its IPA process first. */
  libcameraFirstFrameMs: number;
  /** SIGTERM to ffmpeg, then SIGKILL after this. */
  stopGraceMs: number;
}

export const defaultTimings: SupervisorTimings = {
  backoffInitialMs: 500,
  backoffMaxMs: 4000,
  healthyMs: 10_000,
  devicePollMs: 500,
  stallMs: 4000,
  firstFrameMs: 10_000,
  libcameraFirstFrameMs: 30_000,
  stopGraceMs: 1200,
};

export interface SupervisorOptions {
  config: StreamerSettings;
  log: Logger;
  status: StatusReporter;
  ffmpeg?: string;
  /** The capture program for a libcamera camera (captureProgram unless a test says otherwise). */
  capture?: string;
  timings?: Partial<SupervisorTimings>;
}

/** What ffmpeg's -progress output says, for the metrics. */
export interface Progress {
  /** The running ffmpeg's, over its last few seconds (recentRates). */
  fps?: number;
  /** bits/s */
  bitrate?: number;
  /** Over every ffmpeg since the streamer started. */
  framesDropped: number;
  framesDuplicated: number;
}

/** How one ffmpeg run ended. */
interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  ranMs: number;
  /** From the first frame to exit; 0 when no frame went out. */
  streamedMs: number;
  error: string | null;
}

export class Supervisor {
  private readonly config: StreamerSettings;
  private readonly log: Logger;
  private readonly status: StatusReporter;
  private readonly ffmpeg: string;
  private readonly capture: string;
  private readonly t: SupervisorTimings;
  private readonly abort = new AbortController();
  private child: ChildProcess | undefined;
  private wake: (() => void) | undefined;
  private finished: Promise<void> | undefined;
  private argsLogged = false;
  /** Dropped and duplicated frames of the ffmpeg runs that ended. */
  private pastDropped = 0;
  private pastDuplicated = 0;
  private run_: RunProgress | undefined;

  constructor(options: SupervisorOptions) {
    this.config = options.config;
    this.log = options.log;
    this.status = options.status;
    this.ffmpeg = options.ffmpeg ?? 'ffmpeg';
    this.capture = options.capture ?? captureProgram;
    this.t = { ...defaultTimings, ...options.timings };
  }

  /** ffmpeg's latest figures: fps and bitrate of the running one, frame counts of them all. */
  get progress(): Progress {
    const r = this.run_;
    const rates = r ? recentRates(r) : {};
    return {
      ...rates,
      framesDropped: this.pastDropped + (r?.dropped ?? 0),
      framesDuplicated: this.pastDuplicated + (r?.duplicated ?? 0),
    };
  }

  private get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  /** Runs until stop(); resolves once ffmpeg is gone. */
  run(): Promise<void> {
    this.finished ??= this.loop();
    return this.finished;
  }

  /** Stop ffmpeg (SIGTERM, SIGKILL after the grace period) and the loop. */
  async stop(): Promise<void> {
    if (!this.stopping) {
      this.status.update({ state: 'stopping' });
      this.abort.abort();
      this.wake?.();
      const child = this.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), this.t.stopGraceMs);
        child.once('exit', () => clearTimeout(timer));
      }
    }
    await this.finished;
  }

  private async loop(): Promise<void> {
    this.status.update({ state: 'choosing-encoder' });
    const choice = await chooseEncoder(this.config, this.ffmpeg, this.abort.signal);
    if (this.stopping) return this.stopped();
    this.log('encoder', { encoder: choice.codec, reason: choice.reason });
    this.status.update({ encoder: choice.codec, encoderReason: choice.reason });
    const args = ffmpegArgs(this.config, choice.codec);

    let delayMs = this.t.backoffInitialMs;
    let restarts = 0;
    while (!this.stopping) {
      if (!(await this.waitForDevice())) break;
      if (!(await this.waitForServer())) break;
      const result = await this.runFfmpeg(args);
      if (this.stopping) break;

      // A run that streamed for a while was healthy: this failure is a new incident, not the same
      // one again. (Time spent connecting or stalled doesn't count: that is the failure.)
      if (result.streamedMs >= this.t.healthyMs) delayMs = this.t.backoffInitialMs;
      restarts++;
      const path = sourcePath(this.config.device);
      // An unplugged camera needs no backoff: waiting for the device is the wait.
      const deviceGone = path !== undefined && !existsSync(path);
      const retryInMs = deviceGone ? 0 : delayMs;
      this.log('ffmpeg-exited', {
        code: result.code,
        signal: result.signal,
        ranMs: result.ranMs,
        streamedMs: result.streamedMs,
        error: result.error,
        restarts,
        retryInMs,
      });
      this.status.update({ state: 'backoff', restarts, lastError: result.error, streamingSince: null, fps: null });
      if (!deviceGone) {
        await this.sleep(delayMs);
        delayMs = Math.min(delayMs * 2, this.t.backoffMaxMs);
      }
    }
    return this.stopped();
  }

  private stopped(): void {
    this.status.update({ state: 'stopped', streamingSince: null, fps: null });
    this.log('stopped');
  }

  /** Poll for the source path; false when stopped while waiting. */
  private async waitForDevice(): Promise<boolean> {
    const path = sourcePath(this.config.device);
    if (path === undefined || existsSync(path)) return !this.stopping;
    this.log('waiting-for-device', { device: path });
    // Said as the last error too: a device path the Pi lacks is why nothing streams (the health gate reports it).
    this.status.update({ state: 'waiting-for-device', streamingSince: null, fps: null, lastError: `camera device ${path} does not exist` });
    const since = Date.now();
    while (!this.stopping && !existsSync(path)) await this.sleep(this.t.devicePollMs);
    if (this.stopping) return false;
    this.log('device-appeared', { device: path, waitedMs: Date.now() - since });
    return true;
  }

  /** Poll the RTMP server's port until it listens; false when stopped while waiting. */
  private async waitForServer(): Promise<boolean> {
    const { host, port } = rtmpEndpoint(this.config.server);
    const timeoutMs = Math.max(this.t.devicePollMs, 1000);
    if (await serverListening(host, port, timeoutMs)) return !this.stopping;
    if (this.stopping) return false;
    this.log('waiting-for-server', { host, port });
    this.status.update({ state: 'waiting-for-server', streamingSince: null, fps: null });
    const since = Date.now();
    do await this.sleep(this.t.devicePollMs);
    while (!this.stopping && !(await serverListening(host, port, timeoutMs)));
    if (this.stopping) return false;
    this.log('server-listening', { host, port, waitedMs: Date.now() - since });
    return true;
  }

  /** One ffmpeg from spawn to exit, reporting progress and killing it if frames stop. */
  private runFfmpeg(args: string[]): Promise<RunResult> {
    const started = Date.now();
    this.status.update({ state: 'connecting', fps: null });
    // A libcamera camera: its capture writes raw frames into ffmpeg's stdin; it ends with ffmpeg
    // (EOF one way, a signal the other), and the run ends only once both are gone, so the next run
    // never finds the camera still held ("Failed to acquire camera").
    const captureArgv = captureArgs(this.config);
    // libcamera logs every start at INFO on stderr: only its warnings and errors are worth keeping.
    const captureEnv = { ...process.env, LIBCAMERA_LOG_LEVELS: process.env.LIBCAMERA_LOG_LEVELS ?? '*:WARN' };
    const capture = captureArgv ? spawn(this.capture, captureArgv, { stdio: ['ignore', 'pipe', 'pipe'], env: captureEnv }) : undefined;
    // The command never changes: the journal gets it once, not on every restart of a long outage.
    const child = spawn(this.ffmpeg, args, { stdio: [capture?.stdout ?? 'ignore', 'pipe', 'pipe'] });
    // ffmpeg has its own copy of the pipe now; ours would start reading frames (a child's stdout
    // socket reads as soon as it exists) and keep the pipe open after ffmpeg is gone.
    capture?.stdout?.destroy();
    this.child = child;
    this.log('ffmpeg-start', this.argsLogged ? { pid: child.pid } : { pid: child.pid, args, ...(capture ? { capture: [this.capture, ...captureArgv!] } : {}) });
    this.argsLogged = true;

    const firstFrameMs = capture ? Math.max(this.t.firstFrameMs, this.t.libcameraFirstFrameMs) : this.t.firstFrameMs;
    let frames = 0;
    let lastProgressAt = started;
    // The rate in the status file (the health gate reads it) is the metrics' own (recentRates),
    // to a tenth, written when it moves.
    let fps: number | null = null;
    let streaming = false;
    let streamingAt = 0;
    let stalled = false;
    const errors: string[] = [];
    let logged = 0;

    const run = newRunProgress();
    this.run_ = run;
    // -progress blocks on stdout, once a second: `frame=N`, total_size=, drop_frames=, ... progress=.
    lineReader(child.stdout, (line) => {
      readProgress(line, run, Date.now());
      if (streaming && line.startsWith('progress=')) {
        const measured = recentRates(run).fps;
        const rounded = measured === undefined ? null : Math.round(measured * 10) / 10;
        if (rounded !== null && rounded !== fps) this.status.update({ fps: (fps = rounded) });
      }
      const m = /^frame=(\d+)/.exec(line);
      if (!m) return;
      const n = Number(m[1]);
      if (n > frames) {
        frames = n;
        lastProgressAt = Date.now();
        if (!streaming) {
          streaming = true;
          streamingAt = lastProgressAt;
          this.log('streaming', { startupMs: lastProgressAt - started });
          this.status.update({ state: 'streaming', streamingSince: new Date().toISOString() });
        }
      }
    });
    // -loglevel error: every stderr line is worth keeping; a few per run go to the journal.
    const onError = (line: string): void => {
      errors.push(line);
      if (errors.length > 5) errors.shift();
      if (logged++ < 20) this.log('ffmpeg-error', { line });
    };
    lineReader(child.stderr, onError);
    // The capture's own complaints (no such camera, a mode it cannot set) name the cause best.
    lineReader(capture?.stderr ?? null, (line) => onError(`capture: ${line}`));
    const captureGone = new Promise<void>((resolve) => {
      if (!capture) return resolve();
      capture.once('error', (e) => {
        onError(`capture: cannot run ${this.capture}: ${e.message}`);
        resolve();
      });
      capture.once('close', () => resolve());
    });

    const watchdog = setInterval(() => {
      const silentMs = Date.now() - lastProgressAt;
      if (stalled || silentMs < (streaming ? this.t.stallMs : firstFrameMs)) return;
      stalled = true;
      this.log('ffmpeg-stalled', { frames, silentMs });
      child.kill('SIGTERM');
      // A stopped ffmpeg (SIGSTOP, a debugger) acts on SIGTERM only once it runs again.
      child.kill('SIGCONT');
      setTimeout(() => child.kill('SIGKILL'), this.t.stopGraceMs).unref();
    }, 500);

    return new Promise((resolve) => {
      let spawnError: string | null = null;
      child.once('error', (e) => (spawnError = `cannot run ${this.ffmpeg}: ${e.message}`));
      child.once('close', async (code, signal) => {
        clearInterval(watchdog);
        if (capture && capture.exitCode === null && capture.signalCode === null) {
          capture.kill('SIGTERM');
          const timer = setTimeout(() => capture.kill('SIGKILL'), this.t.stopGraceMs);
          await captureGone;
          clearTimeout(timer);
        }
        await captureGone;
        this.child = undefined;
        this.pastDropped += run.dropped;
        this.pastDuplicated += run.duplicated;
        this.run_ = undefined;
        const error =
          spawnError ??
          (stalled ? `no frames for ${Math.round((streaming ? this.t.stallMs : firstFrameMs) / 1000)} s` : errors.at(-1) ?? `ffmpeg exited with ${signal ?? `code ${code}`}`);
        const now = Date.now();
        resolve({ code, signal, ranMs: now - started, streamedMs: streaming ? now - streamingAt : 0, error });
      });
    });
  }

  /** A timer that stop() cuts short. */
  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

/**
 * One ffmpeg run's -progress, as far as read: its latest frame count, output size and dropped and
 * duplicated frames, and the last few blocks' (one a second) frame counts and sizes with when they
 * came, for the rates.
 */
export interface RunProgress {
  frame: number;
  /** Bytes written so far; never known when ffmpeg writes through the tee muxer (total_size=N/A). */
  size?: number;
  dropped: number;
  duplicated: number;
  window: { at: number; frame: number; size?: number }[];
}

export const newRunProgress = (): RunProgress => ({ frame: 0, dropped: 0, duplicated: 0, window: [] });

/** How many seconds of blocks the rates are averaged over: long enough that one block's late
 * arrival moves them little, short enough that the health gate sees a camera slow down. */
const rateWindow = 3;

/** One `key=value` line of ffmpeg's -progress into `run`; `progress=` ends a block, read at `now` (ms). */
export function readProgress(line: string, run: RunProgress, now: number): void {
  if (line.startsWith('progress=')) {
    run.window.push({ at: now, frame: run.frame, size: run.size });
    if (run.window.length > rateWindow + 1) run.window.shift();
    return;
  }
  const m = /^(frame|total_size|drop_frames|dup_frames)=\s*(\d+)$/.exec(line);
  if (!m) return;
  const n = Number(m[2]);
  if (m[1] === 'frame') run.frame = n;
  else if (m[1] === 'total_size') run.size = n;
  else if (m[1] === 'drop_frames') run.dropped = n;
  else run.duplicated = n;
}

/**
 * Frames and bits per second over the last few seconds, from the blocks' counts: ffmpeg's own
 * fps= and bitrate= are averages since it started, which would hide a camera slowing down after
 * an hour. Nothing until two blocks have come.
 */
export function recentRates(run: RunProgress): { fps?: number; bitrate?: number } {
  const first = run.window[0];
  const last = run.window.at(-1);
  if (!first || !last || last.at <= first.at) return {};
  const seconds = (last.at - first.at) / 1000;
  const fps = Math.round(((last.frame - first.frame) / seconds) * 100) / 100;
  if (first.size === undefined || last.size === undefined) return { fps };
  return { fps, bitrate: Math.round(((last.size - first.size) * 8) / seconds) };
}

function lineReader(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trimEnd();
      buffer = buffer.slice(nl + 1);
      if (line) onLine(line);
    }
  });
}
