// Bundle the WebRTC service into one file for the Pi, like the streamer (streamer/pi-bundle.ts).
// CommonJS, because werift's dependencies require() Node's built-ins; minified, because the
// bundle is 1-2 MB unminified and the Pi parses it once at start.
import { bundleForPi } from '../streamer/pi-bundle.ts';

const banner = '// Managed by camfleet: the WebRTC service, generated from webrtc/*.ts (werift inside) by webrtc/build.ts. Do not edit.';

export async function buildWebrtcBundle(): Promise<string> {
  return bundleForPi('webrtc/main.ts', { banner, format: 'cjs', minify: true });
}
