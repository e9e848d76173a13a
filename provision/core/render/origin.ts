// An origin server: a plain Debian host that the relaying cameras push to. It gets nginx with the
// RTMP module (admitting publishers from the relaying cameras' addresses only), HLS for every
// stream, each camera's viewer page at /<camera>/ and the fleet wall at /. No camera, streamer or
// hotspot: their parts are off there, so a host turned origin converges. Here: its URLs, what its
// nginx.conf reads, and its pages; its files are ../parts/nginx-rtmp.ts's and ../parts/origin.ts's.
import { publishUrl } from '../../../contract/streamer-config.ts';
import type { PageConfig, WallConfig } from '../../../contract/pages.ts';
import type { OriginSettings, ResolvedHost } from '../types.ts';
import { htmlText, jsonInHtml } from './formats.ts';
import { paths } from './paths.ts';

/** Where a camera's page and playlist live on its origin. */
export const originPagePath = (camera: string): string => `${paths.viewerRoot}/${camera}/index.html`;
export const originHlsUrlPath = (camera: string): string => `/hls/${camera}.m3u8`;

/** The RTMP URL a relaying camera pushes to, and players use instead of the camera's own. */
export function relayUrl(target: { address: string; port: number; application: string; stream: string }): string {
  return publishUrl(`rtmp://${target.address}:${target.port}/${target.application}`, target.stream);
}

/** A server's root URL as a browser is given it: brackets around IPv6, no :80. */
export function httpUrl(address: string, port: number): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `http://${host}${port === 80 ? '' : `:${port}`}/`;
}

/** What the origin's nginx.conf template reads beyond the host's own settings. */
export function originContext(host: ResolvedHost): false | { publish: string[]; hlsFragmentMs: number; cameras: string[] } {
  if (!host.origin) return false;
  const sources = host.origin.sources;
  return {
    // The relaying cameras, then whatever the origin's own access.publish adds (e.g. a NAT's address).
    publish: [...new Set([...sources.map((s) => s.address), ...host.access.publish])],
    // A fragment per keyframe interval of the slowest camera: every fragment then starts on a keyframe.
    hlsFragmentMs: Math.max(1000, ...sources.map((s) => s.keyframeMs)),
    // Only the pages of cameras relaying now are served: one left behind by a camera that stopped is not.
    cameras: sources.map((s) => s.name),
  };
}

/** The wall on the origin: every camera relaying to it, playing from the origin's HLS. */
export function wallPage(host: ResolvedHost & { origin: OriginSettings }, template: string): string {
  const config: WallConfig = {
    title: `${host.name} · camfleet wall`,
    hlsLibrary: '/hls.min.js',
    cameras: host.origin.sources.map((s) => ({
      name: s.name,
      hls: originHlsUrlPath(s.name),
      page: `/${s.name}/`,
      ...(s.recordingsPort === undefined ? {} : { recordings: `${httpUrl(s.address, s.recordingsPort)}recordings.html` }),
    })),
  };
  return fillPage(template, config.title, config);
}

/** A camera's viewer page as the origin serves it: the origin's HLS and RTMP stream, named after the camera. */
export function cameraPage(host: ResolvedHost, camera: string, template: string): string {
  const config: PageConfig = {
    name: camera,
    // The origin runs no WebRTC service: its camera pages play its HLS.
    paths: ['hls'],
    whep: '/whep',
    hls: originHlsUrlPath(camera),
    hlsLibrary: '/hls.min.js',
    rtmp: { port: host.stream.port, application: host.stream.application, key: camera },
  };
  return fillPage(template, `${camera} · camfleet`, config);
}

/** Fill a page template's title (HTML text) and config (JSON inside a script element). */
export function fillPage(template: string, title: string, config: object): string {
  return template.replace('{{config}}', () => jsonInHtml(config)).replaceAll('{{title}}', () => htmlText(title));
}
