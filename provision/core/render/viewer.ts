// The viewer's settings as templates, status and clients read them: what the templates read under
// `viewer`, the page's URL and config, the WebRTC service's ports. Its files are the parts
// ../parts/viewer-page.ts and ../parts/webrtc.ts.
import type { PageConfig } from '../../../contract/pages.ts';
import type { ResolvedHost } from '../types.ts';
import { htmlText, jsonInHtml } from './formats.ts';

/**
 * The WebRTC service's fixed ports: WHEP on loopback behind nginx, the loopback UDP port the
 * streamer's ffmpeg sends it the stream on as RTP, and a UDP range for the viewers' media (a
 * firewall on the hotspot must let these through). 20 viewers at most, each a copy of the same
 * packets; more get HLS.
 */
export const webrtcPorts = { whep: 8889, rtp: 8890, iceFrom: 50000, iceTo: 50100, maxViewers: 20 } as const;

/**
 * The loopback UDP port nginx sends its HLS requests to, where the streamer (streamer/hls-viewers.ts)
 * or an origin's exporter counts HLS viewers: fixed, like camfleet-webrtc's, and never reachable
 * from off the host.
 */
export const hlsLogPort = 8895;

/** What the templates (nginx.conf, the WebRTC unit) read under `viewer`. */
export function viewerTemplateContext(host: ResolvedHost) {
  const on = (path: 'webrtc' | 'hls') => host.viewer.enabled && host.viewer.paths.includes(path);
  return {
    ...host.viewer,
    hls: on('hls'),
    webrtc: on('webrtc'),
    hlsFragmentMs: hlsFragmentMs(host),
    whepPort: webrtcPorts.whep,
    icePortFrom: webrtcPorts.iceFrom,
    icePortTo: webrtcPorts.iceTo,
  };
}

/**
 * The page's address as a viewer's phone reaches it: on the Pi's hotspot when it has one (that is
 * where phones are), else at the address the inventory gives. Undefined while the viewer is off.
 */
export function viewerPageUrl(host: ResolvedHost): string | undefined {
  if (!host.viewer.enabled) return undefined;
  const address = host.hotspot.mode === 'none' ? host.address : host.hotspot.address;
  return `http://${address}${host.viewer.port === 80 ? '' : `:${host.viewer.port}`}/`;
}

/** The URL path of the HLS playlist nginx-rtmp writes for the stream (named after its key). */
export const hlsUrlPath = (host: ResolvedHost): string => `/hls/${host.stream.key}.m3u8`;

/**
 * nginx-rtmp cuts a fragment at the first keyframe after hls_fragment: a fragment as long as the
 * keyframe interval holds exactly one keyframe, so a player can start at any fragment.
 */
export function hlsFragmentMs(host: ResolvedHost): number {
  return Math.round((host.camera.gop / host.camera.fps) * 1000);
}

/**
 * How long after its last request an HLS client still counts as a viewer: the playlist's span
 * (nginx.conf's hls_playlist_length, 4 fragments), a player that fetched nothing for that long has
 * fallen off the live edge; at least 10 s, so a phone stalling for a few seconds on a weak hotspot
 * still counts. An origin's fragments are its own (origin.ts's originContext).
 */
export function hlsViewerWindowMs(fragmentMs: number): number {
  return Math.max(4 * fragmentMs, 10_000);
}

/** The page for one Pi: its name in the title, its settings as JSON the script reads. */
export function viewerPage(host: ResolvedHost, template: string): string {
  const config: PageConfig = {
    name: host.name,
    paths: host.viewer.paths,
    whep: '/whep',
    hls: hlsUrlPath(host),
    hlsLibrary: '/hls.min.js',
    rtmp: { port: host.stream.port, application: host.stream.application, key: host.stream.key },
  };
  return template.replace('{{config}}', () => jsonInHtml(config)).replaceAll('{{title}}', () => htmlText(`${host.name} · camfleet`));
}
