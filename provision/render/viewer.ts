// The viewer: the page phones on the hotspot open to watch in a browser and the files it needs
// (nginx.conf's viewer server and HLS settings come from templates/nginx.conf.hbs). Every file it
// adds is listed as absent when the viewer is off, so turning it off removes them all. Pure: the
// page's files come in as values.
import type { ViewerAssets } from '../../viewer/build.ts';
import type { PageConfig } from '../../viewer/config.ts';
import type { AbsentFile, ManagedFile, ResolvedHost } from '../types.ts';
import { htmlText, jsonInHtml } from './formats.ts';
import { paths } from './paths.ts';

export interface ViewerPart {
  files: ManagedFile[];
  absent: AbsentFile[];
  listen: number[];
}

const viewerFiles = [paths.viewerPage, paths.viewerApp, paths.viewerHlsLibrary];

/** The URL path of the HLS playlist nginx-rtmp writes for the stream (named after its key). */
export const hlsUrlPath = (host: ResolvedHost): string => `/hls/${host.stream.key}.m3u8`;

/**
 * nginx-rtmp cuts a fragment at the first keyframe after hls_fragment: a fragment as long as the
 * keyframe interval holds exactly one keyframe, so a player can start at any fragment.
 */
export function hlsFragmentMs(host: ResolvedHost): number {
  return Math.round((host.camera.gop / host.camera.fps) * 1000);
}

export function renderViewer(host: ResolvedHost, assets: ViewerAssets): ViewerPart {
  if (!host.viewer.enabled) {
    return {
      files: [],
      absent: viewerFiles.map((path) => ({ path })),
      listen: [],
    };
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
    ],
    absent: [],
    listen: [host.viewer.port],
  };
}

/** The page for one Pi: its name in the title, its settings as JSON the script reads. */
export function viewerPage(host: ResolvedHost, template: string): string {
  const config: PageConfig = {
    name: host.name,
    paths: host.viewer.paths,
    hls: hlsUrlPath(host),
    hlsLibrary: '/hls.min.js',
    rtmp: { port: host.stream.port, application: host.stream.application, key: host.stream.key },
  };
  return template.replace('{{config}}', () => jsonInHtml(config)).replaceAll('{{title}}', () => htmlText(`${host.name} · camfleet`));
}
