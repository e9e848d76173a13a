// Bundle the WebRTC service into one file for the Pi, like the streamer (streamer/build.ts):
// Debian bookworm's nodejs (18) runs it with no npm install. CommonJS, because werift's
// dependencies require() Node's built-ins. Deterministic, so an unchanged service is no change.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const banner = '// Managed by camfleet: the WebRTC service, generated from webrtc/*.ts (werift inside) by webrtc/build.ts. Do not edit.';

export async function buildWebrtcBundle(): Promise<string> {
  const result = await build({
    entryPoints: [join(root, 'webrtc', 'main.ts')],
    absWorkingDir: root,
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    // The bundle is 1-2 MB unminified; the Pi parses it once at start.
    minify: true,
    legalComments: 'none',
    banner: { js: banner },
    logLevel: 'error',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('esbuild produced no output for webrtc/main.ts');
  return file.text;
}
