// The WebRTC service's settings, as render writes them to /etc/camfleet/webrtc.json, and the
// stream key, which comes apart from them (a key may be a secret: /etc/camfleet/stream-key, handed
// over by systemd's LoadCredential=, as to the streamer), so webrtc.json holds no secret.
import { parseStreamKey, publishUrl, rtmpServerPattern } from '../contract/streamer-config.ts';

export interface WebrtcConfig {
  /** nginx-rtmp on the Pi itself, read back over loopback: rtmp://127.0.0.1:port/application, no key. */
  server: string;
  /** nginx-rtmp's statistics page on loopback (http://127.0.0.1:port/stat): where a new publisher shows (publisher.ts). */
  stat: string;
  /** Where nginx proxies the page's WHEP requests to (loopback only). */
  listen: { host: string; port: number };
  /** UDP ports for the viewers' media (one per viewer). */
  icePorts: [number, number];
  /** H.264 profile-level-id the encoder produces, offered in SDP (e.g. 42e01f). */
  profileLevelId: string;
  /** At most this many viewers at once; more are refused with 503 and the page falls back to HLS. */
  maxViewers: number;
}

export function parseConfig(text: string): WebrtcConfig {
  const c = JSON.parse(text) as Partial<WebrtcConfig>;
  const ok =
    typeof c.server === 'string' &&
    rtmpServerPattern.test(c.server) &&
    typeof c.stat === 'string' &&
    /^http:\/\/127\.0\.0\.1:\d{1,5}\/stat$/.test(c.stat) &&
    typeof c.listen?.host === 'string' &&
    Number.isInteger(c.listen?.port) &&
    Array.isArray(c.icePorts) &&
    c.icePorts.length === 2 &&
    typeof c.profileLevelId === 'string' &&
    /^[0-9a-f]{6}$/.test(c.profileLevelId) &&
    Number.isInteger(c.maxViewers);
  if (!ok) throw new Error('webrtc config: expected server (rtmp://host:port/application, no key), stat (http://127.0.0.1:port/stat), listen {host, port}, icePorts [from, to], profileLevelId, maxViewers');
  return c as WebrtcConfig;
}

/** The stream to read back: the server and the key from its own file (checked, never quoted back). */
export function streamUrl(config: WebrtcConfig, keyFileText: string, keyFile: string): string {
  return publishUrl(config.server, parseStreamKey(keyFileText, keyFile));
}
