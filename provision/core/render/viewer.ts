// The viewer: the page phones on the hotspot open to watch in a browser and the files it needs
// (nginx.conf's viewer server and HLS settings come from templates/nginx.conf.hbs). Every file it
// adds is listed as absent when the viewer is off, so turning it off removes them all, with the
// folders they were in: the page's, and the HLS fragments nginx-rtmp wrote. Pure: the page's files
// come in as values.
import type { PageConfig, ViewerAssets } from '../../../viewer/config.ts';
import { profileLevelId } from '../../contract/h264-profile.ts';
import type { AbsentDir, AbsentFile, DesiredUnit, ManagedFile, ResolvedHost } from '../types.ts';
import { htmlText, jsonInHtml } from './formats.ts';
import { paths, units } from './paths.ts';

export interface ViewerPart {
  files: ManagedFile[];
  absent: AbsentFile[];
  absentDirs: AbsentDir[];
  units: DesiredUnit[];
  listen: number[];
}

/**
 * nginx-rtmp's HLS output: its playlist and fragments, and nothing else goes with the folder. It
 * goes only with a change to nginx.conf, which restarts nginx first (the plan removes folders last).
 */
const hlsOutput: AbsentDir = { path: paths.hlsDir, files: ['*.m3u8', '*.ts'] };
/** The page's folder, once its files are gone; kept while anything else is in it. */
const pageFolder: AbsentDir = { path: paths.viewerRoot, files: [] };

/** Makes a managed file from a template (render.ts's, which escapes for the template's format). */
type FileMaker = (path: string, template: string, extra?: Partial<ManagedFile>) => ManagedFile;

const pageFiles = [paths.viewerPage, paths.viewerApp, paths.viewerHlsLibrary];
const webrtcFiles = [paths.webrtcUnit, paths.webrtcConfig, paths.webrtcService];

/**
 * The WebRTC service's fixed ports: WHEP on loopback behind nginx, and a UDP range for the
 * viewers' media (a firewall on the hotspot must let these through). 20 viewers at most, each a
 * copy of the same packets; more get HLS.
 */
export const webrtcPorts = { whep: 8889, iceFrom: 50000, iceTo: 50100, maxViewers: 20 } as const;

/** What the templates (nginx.conf, the WebRTC unit and config) read under `viewer`. */
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
    maxWebrtcViewers: webrtcPorts.maxViewers,
    profileLevelId: profileLevelId(host.camera.width, host.camera.height, host.camera.fps),
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

const off = (name: string): DesiredUnit => ({ name, enabled: false, active: false, restartOn: [], reloadOn: [] });

export function renderViewer(host: ResolvedHost, assets: ViewerAssets, fromTemplate: FileMaker): ViewerPart {
  const webrtc = renderWebrtc(host, assets, fromTemplate);
  if (!host.viewer.enabled) {
    return { files: [], absent: [...pageFiles, ...webrtcFiles].map((path) => ({ path })), absentDirs: [hlsOutput, pageFolder], units: webrtc.units, listen: [] };
  }
  // The page carries the stream key (HLS files are named after it, and the page shows the RTMP
  // URL for players without a browser): a secret key keeps its diff masked.
  const sensitive = host.secrets.includes(host.stream.key);
  const file = (path: string, content: string, extra: Partial<ManagedFile> = {}): ManagedFile => ({
    path,
    content,
    mode: 0o644,
    owner: 'root',
    group: 'root',
    ...extra,
  });
  return {
    files: [
      file(paths.viewerPage, viewerPage(host, assets.page), { sensitive }),
      file(paths.viewerApp, assets.app),
      file(paths.viewerHlsLibrary, assets.hlsLibrary),
      ...webrtc.files,
    ],
    absent: webrtc.absent,
    absentDirs: viewerTemplateContext(host).hls ? [] : [hlsOutput],
    units: webrtc.units,
    listen: [host.viewer.port, ...webrtc.listen],
  };
}

/**
 * camfleet-webrtc (webrtc/): reads the stream back from nginx-rtmp, copies it into RTP and serves
 * it over WebRTC. Off (or not among the paths), its unit is stopped and its files removed.
 */
function renderWebrtc(host: ResolvedHost, assets: ViewerAssets, fromTemplate: FileMaker): ViewerPart {
  if (!viewerTemplateContext(host).webrtc) return { files: [], absent: webrtcFiles.map((path) => ({ path })), absentDirs: [], units: [off(units.webrtc)], listen: [] };
  return {
    files: [
      // No key in it (the service reads the stream key's own file), so its diff is shown whole.
      fromTemplate(paths.webrtcConfig, 'webrtc.json'),
      { path: paths.webrtcService, content: assets.webrtcService, mode: 0o644, owner: 'root', group: 'root' },
      fromTemplate(paths.webrtcUnit, 'camfleet-webrtc.service'),
    ],
    absent: [],
    absentDirs: [],
    // Not with the streamer's settings: a new publisher's stream header reaches browsers because
    // camfleet-webrtc notices the publisher itself (webrtc/publisher.ts), also when no run restarts it.
    units: [{ name: units.webrtc, enabled: true, active: true, restartOn: [paths.webrtcUnit, paths.webrtcConfig, paths.streamKey, paths.webrtcService], reloadOn: [] }],
    listen: [webrtcPorts.whep],
  };
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
