// The viewer's files, built once per run like the streamer bundle: the page's HTML (filled in per
// Pi by render), its script bundled with the QR encoder, hls.js, and the WebRTC service.
// Deterministic, so a second provision finds nothing to change.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { buildWebrtcBundle } from '../webrtc/build.ts';
import { bundleBrowserApp, managedMarker, readPage } from './bundle.ts';
import type { ViewerAssets } from '../contract/artifacts.ts';

export async function buildViewerAssets(): Promise<ViewerAssets> {
  const hlsPath = createRequire(import.meta.url).resolve('hls.js/dist/hls.light.min.js');
  const [page, app, hlsLibrary, webrtcService] = await Promise.all([
    readPage('viewer/page.html'),
    bundleBrowserApp('viewer/app.ts'),
    readFile(hlsPath, 'utf8'),
    buildWebrtcBundle(),
  ]);
  return {
    page,
    app: managedMarker('the viewer page script, built from viewer/app.ts') + app,
    hlsLibrary: managedMarker('hls.js (npm), light build') + hlsLibrary,
    webrtcService,
  };
}
