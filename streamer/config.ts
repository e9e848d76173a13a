// The streamer's configuration: the JSON file camfleet writes to /etc/camfleet/streamer.json (its
// shape, defaults and checks are the provisioner's and the streamer's one contract,
// contract/), the stream key from a file of its own, and command-line flags on top for
// manual runs. Runs on the Pi under Node 18: node: built-ins only.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseBitrate } from '../contract/camera.ts';
import {
  ConfigError,
  defaultStreamerConfig,
  defaultStreamKey,
  parseStreamKey,
  publishUrl,
  validateStreamerConfig,
  type StreamerConfig,
} from '../contract/streamer-config.ts';

export { ConfigError, type StreamerConfig };

/** What the streamer runs with: streamer.json (or flags) and the stream key, which is kept apart. */
export interface StreamerSettings extends StreamerConfig {
  /** May be a secret: never logged, never in the status file (see main.ts's redactions). */
  streamKey: string;
}

/** The defaults, used when no --config file is given. */
export const defaultConfig: StreamerSettings = { ...defaultStreamerConfig, streamKey: defaultStreamKey };

export const usage = `Usage: node streamer.mjs [--config FILE] [--stream-key-file FILE] [flags]

Captures a camera with ffmpeg and publishes H.264 over RTMP, restarting ffmpeg when it stops.
Flags override the config file:
  --config FILE          JSON config (as written by camfleet to /etc/camfleet/streamer.json)
  --stream-key-file FILE the stream key, alone in a file (camfleet's /etc/camfleet/stream-key)
  --device PATH          V4L2 device, lavfi:testsrc2 (test pattern) or file:PATH (default /dev/video0)
  --resolution WxH       capture size (default 1280x720)
  --fps N                frames per second (default 30)
  --bitrate N            bits per second; k/M suffixes accepted (default 2500000)
  --gop N                keyframe interval in frames (default: fps)
  --server URL           rtmp://host:port/application (default rtmp://127.0.0.1:1935/live)
  --stream-key KEY       stream key (default cam)
  --input-format F       mjpeg | yuyv422 | h264 (default mjpeg)
  --encoder E            auto | h264_v4l2m2m | libx264 (default auto)
  --status-file PATH     write status JSON here
  --help                 this text
`;

export interface Flags {
  help: boolean;
  configFile?: string;
  streamKeyFile?: string;
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

/** Each flag and the field it sets: util.parseArgs reads them, as every camfleet command reads its own. */
const valueFlags = {
  config: 'configFile',
  'stream-key-file': 'streamKeyFile',
  device: 'device',
  resolution: 'resolution',
  fps: 'fps',
  bitrate: 'bitrate',
  gop: 'gop',
  server: 'server',
  'stream-key': 'streamKey',
  'input-format': 'inputFormat',
  encoder: 'encoder',
  'status-file': 'statusFile',
} as const satisfies Record<string, Exclude<keyof Flags, 'help'>>;

const options = {
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(Object.keys(valueFlags).map((name) => [name, { type: 'string' }])),
} as Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** `--name value` and `--name=value`; unknown flags are errors, not silently ignored. */
export function parseFlags(argv: readonly string[]): Flags {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (e) {
    // util.parseArgs names the flag; the streamer's errors say where to look.
    throw new ConfigError(`${(e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, '')} (see --help)`);
  }
  const flags: Flags = { help: values.help === true };
  for (const [name, field] of Object.entries(valueFlags)) if (typeof values[name] === 'string') flags[field] = values[name];
  return flags;
}

/** Flags over a base (file or defaults), validated as a whole by the contract. Pure. */
export function applyFlags(base: StreamerSettings, flags: Flags): StreamerSettings {
  const { streamKey, ...config } = base;
  const c: Record<string, unknown> = { ...config };
  if (flags.device !== undefined) c.device = flags.device;
  if (flags.inputFormat !== undefined) c.inputFormat = flags.inputFormat;
  if (flags.encoder !== undefined) c.encoder = flags.encoder;
  if (flags.statusFile !== undefined) c.statusFile = flags.statusFile;
  if (flags.server !== undefined) c.server = flags.server.replace(/\/+$/, '');
  if (flags.resolution !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(flags.resolution);
    if (!m) throw new ConfigError(`--resolution must look like 1280x720, got ${JSON.stringify(flags.resolution)}`);
    c.width = Number(m[1]);
    c.height = Number(m[2]);
  }
  if (flags.fps !== undefined) {
    c.fps = numberFlag('--fps', flags.fps);
    // Keep one keyframe a second: follow a changed fps unless the GOP is given too.
    if (flags.gop === undefined && base.gop === base.fps) c.gop = c.fps;
  }
  if (flags.gop !== undefined) c.gop = numberFlag('--gop', flags.gop);
  if (flags.bitrate !== undefined) {
    const bitrate = parseBitrate(flags.bitrate);
    if (bitrate === undefined) throw new ConfigError(`--bitrate must be bits per second like 2500000, 2500k or 2.5M, got ${JSON.stringify(flags.bitrate)}`);
    c.bitrate = bitrate;
  }
  const key = flags.streamKey === undefined ? streamKey : parseStreamKey(flags.streamKey, '--stream-key');
  return { ...validateStreamerConfig(c, 'flags'), streamKey: key };
}

function numberFlag(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new ConfigError(`${name} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** The settings the streamer runs with: the file (or defaults), the key file, flags on top. Reads the disk. */
export function loadConfig(flags: Flags): StreamerSettings {
  let base = defaultConfig;
  if (flags.configFile) {
    let raw: unknown;
    try {
      raw = JSON.parse(readText(flags.configFile));
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw new ConfigError(`${flags.configFile}: not valid JSON (${(e as Error).message})`);
    }
    base = { ...validateStreamerConfig(raw, flags.configFile), streamKey: base.streamKey };
  }
  if (flags.streamKeyFile) base = { ...base, streamKey: parseStreamKey(readText(flags.streamKeyFile), flags.streamKeyFile) };
  return applyFlags(base, flags);
}

/** Where ffmpeg publishes: holds the key, so it is logged only through the redactions. */
export const rtmpUrl = (s: StreamerSettings): string => publishUrl(s.server, s.streamKey);
