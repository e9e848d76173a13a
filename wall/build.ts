// The fleet wall's files, built once per run like the viewer page's: the page (filled in by render
// for an origin, or by `npm run wall`) and its script. hls.js comes with the viewer's files.
// Deterministic, so a second provision finds nothing to change.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WallAssets {
  /** page.html with {{title}} and {{config}} still to fill in. */
  page: string;
  /** The wall's script (wall/app.ts). */
  app: string;
}

const root = dirname(dirname(fileURLToPath(import.meta.url)));

export async function buildWallAssets(): Promise<WallAssets> {
  const result = await build({
    entryPoints: [join(root, 'wall', 'app.ts')],
    absWorkingDir: root,
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    target: ['es2020', 'safari15', 'chrome90', 'firefox90'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const app = result.outputFiles[0]?.text;
  if (!app) throw new Error('esbuild produced no output for wall/app.ts');
  return {
    page: await readFile(join(root, 'wall', 'page.html'), 'utf8'),
    app: `// Managed by camfleet: the fleet wall script, built from wall/app.ts. Local edits are replaced on the next provision.\n${app}`,
  };
}
