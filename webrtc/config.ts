// The WebRTC service's settings, as render writes them to /etc/camfleet/webrtc.json (their type and
// check are the contract's).
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
