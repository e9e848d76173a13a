// The viewer's files, built once per run like the streamer bundle: the page's HTML (filled in per
// Pi by render), its script bundled with the QR encoder, hls.js, and the WebRTC service.
// Deterministic, so a second provision finds nothing to change.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWebrtcBundle } from '../webrtc/build.ts';
import type { ViewerAssets } from './config.ts';

export type { ViewerAssets } from './config.ts';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const marker = (what: string) => `// Managed by camfleet: ${what}. Local edits are replaced on the next provision.\n`;

export async function buildViewerAssets(): Promise<ViewerAssets> {
  const result = await build({
    entryPoints: [join(root, 'viewer', 'app.ts')],
    absWorkingDir: root,
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    // Phones a few years old: iOS 15 Safari, Chrome 90.
    target: ['es2020', 'safari15', 'chrome90', 'firefox90'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const app = result.outputFiles[0]?.text;
  if (!app) throw new Error('esbuild produced no output for viewer/app.ts');
  const hlsPath = createRequire(import.meta.url).resolve('hls.js/dist/hls.light.min.js');
  return {
    page: await readFile(join(root, 'viewer', 'page.html'), 'utf8'),
    app: marker('the viewer page script, built from viewer/app.ts') + app,
    hlsLibrary: marker('hls.js (npm), light build') + (await readFile(hlsPath, 'utf8')),
    webrtcService: await buildWebrtcBundle(),
  };
}
