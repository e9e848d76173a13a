// /etc/camfleet/streamer.json: what the provisioner writes (JSON.stringify of this type, see
// render) and the streamer reads, checked by the same function on both sides. The stream key is
// not in it: a key may be a secret, so it travels in a file of its own (/etc/camfleet/stream-key,
// handed to the streamer by systemd's LoadCredential=), and streamer.json can be diffed and logged
// whole. Pure and dependency-free: bundled into the streamer for the Pi's Node 18.
import { cameraProblems, defaultCamera, encoders, inputFormats, type CameraConfig } from './camera.ts';

export interface StreamerConfig extends CameraConfig {
  /** Says who wrote the file (camfleet's marker, so it can remove it again); the streamer ignores it. */
  comment?: string;
  /** Where to publish: rtmp://host:port/application. The stream key is appended by the streamer. */
  server: string;
  /** Where the status JSON goes; empty means no status file (manual runs). */
  statusFile: string;
  /** Serve Prometheus metrics (contract/camera-metrics.ts); absent in manual runs. */
  metrics?: MetricsConfig;
  /**
   * Also send the encoded stream as RTP to this UDP port on loopback, where camfleet-webrtc reads
   * it: the one encode feeds nginx-rtmp and WebRTC, with no second ffmpeg reading it back.
   * Absent in manual runs.
   */
  rtpPort?: number;
}

/** Where the streamer serves its metrics and what it reads for them; every URL is the Pi's own loopback. */
export interface MetricsConfig {
  /** A Unix socket nginx proxies /metrics on the statistics port to. */
  socket: string;
  /** nginx-rtmp's statistics page (viewers, bytes). */
  statUrl: string;
  /** camfleet-webrtc's viewer count, when the Pi offers WebRTC. */
  whepStatusUrl?: string;
  /** The origin the Pi relays to (host, port), when it does. */
  relay?: { host: string; port: number };
  /** The file holding camfleet's version of the config. */
  versionFile: string;
  /** The loopback UDP port nginx sends its HLS requests to, and how long a client counts as watching. */
  hlsLog?: { port: number; windowMs: number };
}

export const defaultStreamerConfig: StreamerConfig = {
  ...defaultCamera,
  server: 'rtmp://127.0.0.1:1935/live',
  statusFile: '',
};

/** The stream key a manual run publishes under when none is given. */
export const defaultStreamKey = 'cam';

/** A stream key: part of an RTMP URL and of HLS file names in nginx. Secret keys meet it too. */
export const streamKeyPattern = /^[A-Za-z0-9_-]{1,256}$/;

/** rtmp://host[:port]/application, nothing after it: the key is never part of the server. */
export const rtmpServerPattern = /^rtmps?:\/\/[^/\s]+\/[A-Za-z0-9_-]+$/;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Where the streamer publishes: the server, then the key. The one place the two meet. */
export function publishUrl(server: string, streamKey: string): string {
  return `${server}/${streamKey}`;
}

/** rtmp://h:p/app/key -> rtmp://h:p/app/*** (the key may be a secret). */
export function maskKey(url: string): string {
  const m = /^(rtmps?:\/\/[^/]+\/[^/]+\/)(.+)$/.exec(url);
  return m ? `${m[1]}***` : url;
}

/**
 * Replace the URL (and the bare key, when long enough to be unambiguous) in any text: what the
 * streamer, camfleet-webrtc and the operator's client log about a stream (ffmpeg's argv and
 * errors name its URL) goes through this.
 */
export function redactUrl(text: string, url: string): string {
  const key = /^rtmps?:\/\/[^/]+\/[^/]+\/(.+)$/.exec(url)?.[1] ?? '';
  let out = text.split(url).join(maskKey(url));
  if (key.length >= 8) out = out.split(key).join('***');
  return out;
}

/**
 * Check a parsed streamer.json (or flags over one) field by field, reporting every problem at
 * once, each naming its field, under `source` (the file's name). Never quotes a stream key: there
 * is none in it. Pure.
 */
export function validateStreamerConfig(raw: unknown, source: string): StreamerConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${source}: expected a JSON object`);
  const o = raw as Record<string, unknown>;
  const problems: string[] = [];
  const failed = new Set<string>();
  const fail = (field: string, message: string): void => {
    failed.add(field);
    problems.push(message);
  };
  const str = (field: keyof StreamerConfig): string => {
    const v = o[field];
    if (typeof v !== 'string' || v === '') fail(field, `${field} must be a non-empty string, got ${JSON.stringify(v)}`);
    return typeof v === 'string' ? v : '';
  };
  const num = (field: keyof StreamerConfig): number => {
    const v = o[field];
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      fail(field, `${field} must be a whole number, got ${JSON.stringify(v)}`);
      return NaN;
    }
    return v;
  };
  const oneOf = <T extends string>(field: keyof StreamerConfig, allowed: readonly T[]): T => {
    const v = o[field];
    if (!allowed.includes(v as T)) fail(field, `${field} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  };

  if (o.comment !== undefined && typeof o.comment !== 'string') fail('comment', `comment must be a string, got ${JSON.stringify(o.comment)}`);
  const config: StreamerConfig = {
    ...(typeof o.comment === 'string' ? { comment: o.comment } : {}),
    device: str('device'),
    inputFormat: oneOf('inputFormat', inputFormats),
    width: num('width'),
    height: num('height'),
    fps: num('fps'),
    bitrate: num('bitrate'),
    encoder: oneOf('encoder', encoders),
    gop: num('gop'),
    server: str('server'),
    statusFile: typeof o.statusFile === 'string' ? o.statusFile : '',
  };
  if (o.metrics !== undefined) {
    const m = metricsConfig(o.metrics);
    if (typeof m === 'string') problems.push(`metrics: ${m}`);
    else config.metrics = m;
  }
  if (o.rtpPort !== undefined) {
    if (isPort(o.rtpPort)) config.rtpPort = o.rtpPort;
    else problems.push(`rtpPort must be a UDP port, 1-65535, got ${JSON.stringify(o.rtpPort)}`);
  }
  if (o.statusFile !== undefined && typeof o.statusFile !== 'string') problems.push(`statusFile must be a path string, got ${JSON.stringify(o.statusFile)}`);
  if (config.server && !rtmpServerPattern.test(config.server)) {
    // Not quoted back: a server with a path after the application may be carrying a key.
    problems.push('server must look like rtmp://host:port/application, nothing after the application (the stream key comes separately)');
  }
  // The camera's limits, shared with the inventory; a field already reported is not reported twice.
  for (const p of cameraProblems(config)) {
    const fields = p.setting === 'resolution' ? ['width', 'height'] : [p.setting];
    if (!fields.some((f) => failed.has(f))) problems.push(`${fields.join(' x ')}: ${p.message}`);
  }
  const unknown = Object.keys(o).filter((k) => !['comment', 'metrics', 'rtpPort'].includes(k) && !(k in defaultStreamerConfig));
  if (unknown.length) problems.push(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
  if (problems.length) throw new ConfigError(`${source}: ${problems.join('; ')}`);
  return config;
}

/** streamer.json's metrics object, checked; or what is wrong with it. */
function metricsConfig(raw: unknown): MetricsConfig | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'must be an object';
  const m = raw as Record<string, unknown>;
  const path = (v: unknown): v is string => typeof v === 'string' && v.startsWith('/');
  const loopbackUrl = (v: unknown): v is string => typeof v === 'string' && /^http:\/\/127\.0\.0\.1:\d+\/[^\s]*$/.test(v);
  if (!path(m.socket)) return 'socket must be an absolute path';
  if (!path(m.versionFile)) return 'versionFile must be an absolute path';
  if (!loopbackUrl(m.statUrl)) return 'statUrl must be an http://127.0.0.1:port/ URL';
  if (m.whepStatusUrl !== undefined && !loopbackUrl(m.whepStatusUrl)) return 'whepStatusUrl must be an http://127.0.0.1:port/ URL';
  const r = m.relay as Record<string, unknown> | undefined;
  if (r !== undefined && (typeof r !== 'object' || r === null || typeof r.host !== 'string' || !r.host || !Number.isInteger(r.port))) return 'relay must be { host, port }';
  const h = m.hlsLog;
  if (h !== undefined && !isHlsLogConfig(h)) return 'hlsLog must be { port: 1-65535, windowMs: a whole number of milliseconds, 1000 or more }';
  const unknown = Object.keys(m).filter((k) => !['socket', 'versionFile', 'statUrl', 'whepStatusUrl', 'relay', 'hlsLog'].includes(k));
  if (unknown.length) return `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`;
  return {
    socket: m.socket,
    statUrl: m.statUrl,
    ...(m.whepStatusUrl !== undefined ? { whepStatusUrl: m.whepStatusUrl } : {}),
    ...(r ? { relay: { host: r.host as string, port: r.port as number } } : {}),
    versionFile: m.versionFile,
    ...(h !== undefined ? { hlsLog: { port: h.port, windowMs: h.windowMs } } : {}),
  };
}

const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;

/** hlsLog: a port and a window of at least a second, nothing else. */
function isHlsLogConfig(h: unknown): h is NonNullable<MetricsConfig['hlsLog']> {
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return false;
  const { port, windowMs, ...rest } = h as Record<string, unknown>;
  const whole = (v: unknown, min: number, max: number) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
  return Object.keys(rest).length === 0 && isPort(port) && whole(windowMs, 1000, 86_400_000);
}

/**
 * A stream key as read from its file: the one line that is not a `#` comment (camfleet's file
 * starts with its marker), or the text as it is without a trailing newline. Checked; never quoted back.
 */
export function parseStreamKey(text: string, source: string): string {
  const lines = text.split('\n').filter((line) => !line.startsWith('#'));
  if (lines.at(-1) === '') lines.pop();
  const key = lines.length === 1 ? lines[0]!.replace(/\r$/, '') : text;
  if (!streamKeyPattern.test(key)) throw new ConfigError(`${source}: a stream key is 1-256 letters, digits, _ and - (this one has ${key.length} characters)`);
  return key;
}
