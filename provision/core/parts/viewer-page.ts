// The viewer page phones on the hotspot open to watch in a browser, its script and player, and
// nginx-rtmp's HLS output (nginx.conf's viewer server and HLS settings are in
// templates/nginx.conf.hbs). Off, everything it added goes, with the folders it was in.
import type { AbsentDir } from '../types.ts';
import { paths } from '../render/paths.ts';
import { viewerPage, viewerTemplateContext } from '../render/viewer.ts';
import { absentFiles, contentFile, type Part } from './part.ts';

/**
 * nginx-rtmp's HLS output: its playlist and fragments, and nothing else goes with the folder. It
 * goes only with a change to nginx.conf, which restarts nginx first (the plan removes folders last).
 */
const hlsOutput: AbsentDir = { path: paths.hlsDir, files: ['*.m3u8', '*.ts'] };
/** The page's folder, once its files are gone; kept while anything else is in it. */
const pageFolder: AbsentDir = { path: paths.viewerRoot, files: [] };

const pageFiles = [paths.viewerPage, paths.viewerApp, paths.viewerHlsLibrary];

export const viewerPagePart: Part = {
  name: 'viewer-page',
  packages: [],
  enabled: (host) => !host.origin && host.viewer.enabled,
  on: ({ host, viewerAssets }) => ({
    files: [
      // The page carries the stream key (HLS files are named after it, and the page shows the RTMP
      // URL for players without a browser): a secret key keeps its diff masked.
      contentFile(paths.viewerPage, viewerPage(host, viewerAssets.page), { sensitive: host.secrets.includes(host.stream.key) }),
      contentFile(paths.viewerApp, viewerAssets.app),
      contentFile(paths.viewerHlsLibrary, viewerAssets.hlsLibrary),
    ],
    absentDirs: viewerTemplateContext(host).hls ? [] : [hlsOutput],
    listen: [host.viewer.port],
  }),
  // An origin serves pages of its own (origin.ts): nothing of a camera's page to remove there.
  // The WebRTC service's files are listed by webrtc.ts, after these, whose folder goes last.
  off: (host) => (host.origin ? {} : { absent: absentFiles(pageFiles), absentDirs: [hlsOutput, pageFolder] }),
};
