// Bundle the streamer into one ESM file for the Pi: Debian bookworm's nodejs (18) runs it with
// no npm install. Deterministic — the same sources give the same bytes — so the provisioner's
// file diff only changes when the streamer does.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout: the directory above the one holding streamer/main.ts. */
function findRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // From streamer/build.ts the root is one up; from a bundled CLI in dist/ it is one up too.
  return dirname(here);
}

// Its first line carries camfleet's marker, so a host turned origin can remove the bundle again.
const banner = '// Managed by camfleet: the camera streamer, generated from streamer/*.ts by streamer/build.ts. Do not edit.';

export async function buildStreamerBundle(root = findRoot()): Promise<string> {
  const result = await build({
    entryPoints: [join(root, 'streamer', 'main.ts')],
    // Relative paths in the bundle's comments: the output doesn't depend on where the checkout is.
    absWorkingDir: root,
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    banner: { js: banner },
    logLevel: 'warning',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('esbuild produced no output for streamer/main.ts');
  return file.text;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = join(findRoot(), 'build', 'streamer.mjs');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, await buildStreamerBundle());
  console.log(`built ${out}`);
}
