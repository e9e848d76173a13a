// The streamer's configuration: the JSON file camfleet renders to /etc/camfleet/streamer.json,
// with command-line flags on top for manual runs. Validation names the field that is wrong.
// Runs on the Pi under Node 18: node: built-ins only.
import { readFileSync } from 'node:fs';

export type InputFormat = 'mjpeg' | 'yuyv422' | 'h264';
export type EncoderChoice = 'auto' | 'h264_v4l2m2m' | 'libx264';

export interface StreamerConfig {
  /**
   * Where the picture comes from:
   * - a V4L2 device path, e.g. `/dev/video0` (the streamer waits for it to exist);
   * - `lavfi:<source>`, e.g. `lavfi:testsrc2`: ffmpeg's synthetic test pattern at the configured
   *   size and fps, paced in real time — a camera stand-in for tests and the lab;
   * - `file:<path>`: a recorded or piped stream in `inputFormat` (a FIFO works), read in real
   *   time; waited for like a device, so tests can unplug and replug a "camera" without V4L2.
   */
  device: string;
  inputFormat: InputFormat;
  width: number;
  height: number;
  fps: number;
  /** Bits per second. */
  bitrate: number;
  encoder: EncoderChoice;
  /** Keyframe interval in frames. */
  gop: number;
  /** rtmp://host:port/application/key — the key may be a secret. */
  rtmpUrl: string;
  /** Where the status JSON goes; empty means no status file (manual runs). */
  statusFile: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const inputFormats: readonly InputFormat[] = ['mjpeg', 'yuyv422', 'h264'];
const encoders: readonly EncoderChoice[] = ['auto', 'h264_v4l2m2m', 'libx264'];

/** The seed's defaults, used when no --config file is given. */
export const defaultConfig: StreamerConfig = {
  device: '/dev/video0',
  inputFormat: 'mjpeg',
  width: 1280,
  height: 720,
  fps: 30,
  bitrate: 2_500_000,
  encoder: 'auto',
  gop: 30,
  rtmpUrl: 'rtmp://127.0.0.1:1935/live/cam',
  statusFile: '',
};

export const usage = `Usage: node streamer.mjs [--config FILE] [flags]

Captures a camera with ffmpeg and publishes H.264 over RTMP, restarting ffmpeg when it stops.
Flags override the config file:
  --config FILE          JSON config (as rendered by camfleet to /etc/camfleet/streamer.json)
  --device PATH          V4L2 device, lavfi:testsrc2 (test pattern) or file:PATH (default /dev/video0)
  --resolution WxH       capture size (default 1280x720)
  --fps N                frames per second (default 30)
  --bitrate N            bits per second; k/M suffixes accepted (default 2500000)
  --gop N                keyframe interval in frames (default: fps)
  --server URL           rtmp://host:port/application (the stream key is appended)
  --stream-key KEY       stream key (default cam)
  --input-format F       mjpeg | yuyv422 | h264 (default mjpeg)
  --encoder E            auto | h264_v4l2m2m | libx264 (default auto)
  --status-file PATH     write status JSON here
  --help                 this text
`;

export interface Flags {
  help: boolean;
  configFile?: string;
  device?: string;
  resolution?: string;
  fps?: string;
  bitrate?: string;
  gop?: string;
  server?: string;
  streamKey?: string;
  inputFormat?: string;
  encoder?: string;
  statusFile?: string;
}

const valueFlags: Record<string, Exclude<keyof Flags, 'help'>> = {
  '--config': 'configFile',
  '--device': 'device',
  '--resolution': 'resolution',
  '--fps': 'fps',
  '--bitrate': 'bitrate',
  '--gop': 'gop',
  '--server': 'server',
  '--stream-key': 'streamKey',
  '--input-format': 'inputFormat',
  '--encoder': 'encoder',
  '--status-file': 'statusFile',
};

/** `--name value` and `--name=value`; unknown flags are errors, not silently ignored. */
export function parseFlags(argv: readonly string[]): Flags {
  const flags: Flags = { help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      flags.help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const field = valueFlags[name];
    if (!field) throw new ConfigError(`unknown argument ${JSON.stringify(arg)} (see --help)`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new ConfigError(`${name} needs a value`);
    flags[field] = value;
  }
  return flags;
}

/** Flags over a base config (file or defaults), validated as a whole. Pure. */
export function applyFlags(base: StreamerConfig, flags: Flags): StreamerConfig {
  const c: Record<string, unknown> = { ...base };
  if (flags.device !== undefined) c.device = flags.device;
  if (flags.inputFormat !== undefined) c.inputFormat = flags.inputFormat;
  if (flags.encoder !== undefined) c.encoder = flags.encoder;
  if (flags.statusFile !== undefined) c.statusFile = flags.statusFile;
  if (flags.resolution !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(flags.resolution);
    if (!m) throw new ConfigError(`--resolution must look like 1280x720, got ${JSON.stringify(flags.resolution)}`);
    c.width = Number(m[1]);
    c.height = Number(m[2]);
  }
  if (flags.fps !== undefined) {
    c.fps = numberFlag('--fps', flags.fps);
    // The seed kept one keyframe a second: follow a changed fps unless the GOP is given too.
    if (flags.gop === undefined && base.gop === base.fps) c.gop = c.fps;
  }
  if (flags.gop !== undefined) c.gop = numberFlag('--gop', flags.gop);
  if (flags.bitrate !== undefined) c.bitrate = parseBitrate(flags.bitrate);
  if (flags.server !== undefined || flags.streamKey !== undefined) {
    const { server, key } = splitRtmpUrl(base.rtmpUrl);
    c.rtmpUrl = `${(flags.server ?? server).replace(/\/+$/, '')}/${flags.streamKey ?? key}`;
  }
  return validateConfig(c, 'flags');
}

function numberFlag(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new ConfigError(`${name} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

/** 2500000, 2500k, 2.5M */
export function parseBitrate(value: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(value.trim());
  if (!m) throw new ConfigError(`--bitrate must be bits per second like 2500000 or 2500k, got ${JSON.stringify(value)}`);
  const scale = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6 }[m[2] ?? ''] ?? 1;
  return Math.round(Number(m[1]) * scale);
}

/** rtmp://host:port/app/key -> server rtmp://host:port/app and key. */
export function splitRtmpUrl(url: string): { server: string; key: string } {
  const slash = url.lastIndexOf('/');
  return { server: url.slice(0, slash), key: url.slice(slash + 1) };
}

/** Check every field, reporting all problems at once, each naming its field. Pure. */
export function validateConfig(raw: unknown, source: string): StreamerConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${source}: expected a JSON object`);
  const o = raw as Record<string, unknown>;
  const problems: string[] = [];
  const str = (field: string): string => {
    const v = o[field];
    if (typeof v !== 'string' || v === '') problems.push(`${field} must be a non-empty string, got ${JSON.stringify(v)}`);
    return typeof v === 'string' ? v : '';
  };
  const int = (field: string, min: number, max: number): number => {
    const v = o[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      problems.push(`${field} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
      return 0;
    }
    return v;
  };
  const oneOf = <T extends string>(field: string, allowed: readonly T[]): T => {
    const v = o[field];
    if (!allowed.includes(v as T)) problems.push(`${field} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  };

  const config: StreamerConfig = {
    device: str('device'),
    inputFormat: oneOf('inputFormat', inputFormats),
    width: int('width', 16, 7680),
    height: int('height', 16, 4320),
    fps: int('fps', 1, 240),
    bitrate: int('bitrate', 10_000, 100_000_000),
    encoder: oneOf('encoder', encoders),
    gop: int('gop', 1, 10_000),
    rtmpUrl: str('rtmpUrl'),
    statusFile: typeof o.statusFile === 'string' ? o.statusFile : '',
  };
  if (o.statusFile !== undefined && typeof o.statusFile !== 'string') problems.push(`statusFile must be a path string, got ${JSON.stringify(o.statusFile)}`);
  if (config.rtmpUrl && !/^rtmps?:\/\/[^/]+\/[^/]+\/[^/]+$/.test(config.rtmpUrl)) {
    problems.push(`rtmpUrl must look like rtmp://host:port/application/key, got ${JSON.stringify(maskStreamKey(config.rtmpUrl))}`);
  }
  if ((config.width % 2 || config.height % 2) && config.width && config.height) problems.push('width and height must be even (yuv420p)');
  if (config.device.startsWith('file:') && config.device.length === 'file:'.length) problems.push('device file: needs a path');
  const unknown = Object.keys(o).filter((k) => !(k in defaultConfig));
  if (unknown.length) problems.push(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
  if (problems.length) throw new ConfigError(`${source}: ${problems.join('; ')}`);
  return config;
}

/** The config the streamer runs with: the file (or defaults) with flags applied. Reads the disk. */
export function loadConfig(flags: Flags): StreamerConfig {
  let base = defaultConfig;
  if (flags.configFile) {
    let text: string;
    try {
      text = readFileSync(flags.configFile, 'utf8');
    } catch (e) {
      throw new ConfigError(`${flags.configFile}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`${flags.configFile}: not valid JSON (${(e as Error).message})`);
    }
    base = validateConfig(raw, flags.configFile);
  }
  return applyFlags(base, flags);
}

/** rtmp://host:port/app/secret -> rtmp://host:port/app/*** so logs never carry the key. */
export function maskStreamKey(url: string): string {
  const { server, key } = splitRtmpUrl(url);
  return key && server.includes('://') ? `${server}/***` : url;
}
