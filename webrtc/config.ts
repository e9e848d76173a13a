// The WebRTC service's settings, as render writes them to /etc/camfleet/webrtc.json (their type and
// check are the contract's), and the stream key, which comes apart from them (a key may be a
// secret: /etc/camfleet/stream-key, handed over by systemd's LoadCredential=, as to the streamer).
import { parseStreamKey, publishUrl } from '../contract/streamer-config.ts';
import { validateWebrtcConfig, type WebrtcConfig } from '../contract/webrtc-config.ts';

export type { WebrtcConfig } from '../contract/webrtc-config.ts';

export function parseConfig(text: string, source = 'webrtc config'): WebrtcConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not JSON (${(e as Error).message})`);
  }
  return validateWebrtcConfig(raw, source);
}

/** The stream to read back: the server and the key from its own file (checked, never quoted back). */
export function streamUrl(config: WebrtcConfig, keyFileText: string, keyFile: string): string {
  return publishUrl(config.server, parseStreamKey(keyFileText, keyFile));
}
