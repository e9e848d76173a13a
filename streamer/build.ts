// Bundle the streamer into one ESM file for the Pi (streamer/pi-bundle.ts); `npm run
// build:streamer` writes it to build/streamer.mjs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForPi, root } from './pi-bundle.ts';

const banner = '// Managed by camfleet: the camera streamer, generated from streamer/*.ts by streamer/build.ts. Do not edit.';

export async function buildStreamerBundle(): Promise<string> {
  return bundleForPi('streamer/main.ts', { banner, format: 'esm', minify: false });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = join(root, 'build', 'streamer.mjs');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, await buildStreamerBundle());
  console.log(`built ${out}`);
}
