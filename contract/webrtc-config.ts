// /etc/camfleet/webrtc.json: what the provisioner writes (JSON.stringify of this type, like
// streamer.json) and camfleet-webrtc reads, checked by the same function on both sides. The
// service never needs the stream key: the streamer's ffmpeg sends it the stream as RTP over
// loopback. Nothing of the camera's encode either but the profile (what SDP offers), so that a
// bitrate change restarts the streamer alone.
// Pure and dependency-free: bundled into the WebRTC service for the Pi.
import { cameraLimits } from './camera.ts';
import { ConfigError } from './streamer-config.ts';

export interface WebrtcConfig {
  /** Says who wrote the file; the service ignores it. */
  comment?: string;
  /** The loopback UDP port the streamer's ffmpeg sends the stream to as RTP (its rtpPort). */
  rtpPort: number;
  /** Where nginx proxies the page's WHEP requests to (loopback only). */
  listen: { host: string; port: number };
  /** UDP ports for the viewers' media (one per viewer). */
  icePorts: [number, number];
  /** H.264 profile-level-id the encoder produces, offered in SDP (e.g. 42e01f). */
  profileLevelId: string;
  /** At most this many viewers at once; more are refused with 503 and the page falls back to HLS. */
  maxViewers: number;
}

const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536;

/** Check a parsed webrtc.json field by field, every problem at once, under `source` (the file's name). */
export function validateWebrtcConfig(raw: unknown, source: string): WebrtcConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${source}: expected a JSON object`);
  const c = raw as Partial<Record<keyof WebrtcConfig, unknown>>;
  const problems: string[] = [];
  const check = (ok: boolean, message: string) => ok || problems.push(message);
  const listen = c.listen as Partial<WebrtcConfig['listen']> | undefined;
  check(c.comment === undefined || typeof c.comment === 'string', 'comment must be a string');
  check(isPort(c.rtpPort), 'rtpPort must be a UDP port, 1-65535');
  check(typeof listen?.host === 'string' && isPort(listen.port), 'listen must be {host, port}');
  const ice = Array.isArray(c.icePorts) ? (c.icePorts as unknown[]) : [];
  check(ice.length === 2 && isPort(ice[0]) && isPort(ice[1]) && ice[0] <= ice[1], 'icePorts must be [from, to]');
  check(typeof c.profileLevelId === 'string' && /^[0-9a-f]{6}$/.test(c.profileLevelId), 'profileLevelId must be six hex digits');
  check(Number.isInteger(c.maxViewers) && (c.maxViewers as number) >= 1, 'maxViewers must be a whole number, 1 or more');
  const unknown = Object.keys(c).filter((k) => !webrtcConfigFields.includes(k as keyof WebrtcConfig));
  check(unknown.length === 0, `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
  if (problems.length) throw new ConfigError(`${source}: ${problems.join('; ')}`);
  return c as WebrtcConfig;
}

const webrtcConfigFields: (keyof WebrtcConfig)[] = ['comment', 'rtpPort', 'listen', 'icePorts', 'profileLevelId', 'maxViewers'];

// The service's buffers are sized to the highest bitrate the camera's limits allow (one source), not
// to the host's bitrate: a bitrate change then leaves webrtc.json, and the WebRTC viewers, alone.
// Both are caps, filled only as far as the stream fills them.
const highestBytesPerSecond = cameraLimits.bitrate.max / 8;

/** The GOP cache's cap: a 2 s keyframe interval at the highest bitrate; a longer GOP's viewers wait for the next keyframe. */
export const gopCacheBytes = highestBytesPerSecond * 2;

/** The UDP receive buffer asked of the kernel: a second at the highest bitrate, for a slow event loop turn. */
export const receiveBufferBytes = highestBytesPerSecond;
