// What the browser pages (the viewer page and the fleet wall) are built with: a script bundled
// for phones a few years old, and a page whose shared head (viewer/head.html: meta tags and the
// styles both pages use) is written into it. In memory and deterministic, so a second provision
// finds nothing to change.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout: one up from viewer/. */
export const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** A browser script from `entry` (a path in the checkout), as one minified IIFE. */
export async function bundleBrowserApp(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [join(root, entry)],
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
  if (!app) throw new Error(`esbuild produced no output for ${entry}`);
  return app;
}

const headMarker = '<!-- camfleet:head -->';

/** A page (a path in the checkout) with the shared head in place of its `<!-- camfleet:head -->` line. */
export async function readPage(page: string): Promise<string> {
  const [html, head] = await Promise.all([readFile(join(root, page), 'utf8'), readFile(join(root, 'viewer', 'head.html'), 'utf8')]);
  if (html.split(headMarker).length !== 2) throw new Error(`${page}: needs exactly one ${headMarker} line`);
  return html.replace(headMarker, () => head.trimEnd());
}

/** A script's first line on the Pi: who wrote it, and that local edits do not last. */
export const managedMarker = (what: string): string => `// Managed by camfleet: ${what}. Local edits are replaced on the next provision.\n`;
