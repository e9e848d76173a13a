#!/usr/bin/env node
// `npm run provision | render | status`: the bundled CLI (dist/camfleet.mjs), which starts in a
// fifth of the time the TypeScript sources take through tsx, and never stale: when any file it is
// built from changed since dist/ was built (up-to-date.mjs), it is built again first.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { distIsCurrent } from './up-to-date.mjs';

// provision/bundle/ -> the checkout
const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

if (!distIsCurrent(root)) {
  process.stderr.write('camfleet: the sources changed since dist/ was built: building it first (a few seconds)\n');
  // The build's own output goes to stderr: stdout is the command's (--json).
  const build = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'provision', 'bundle', 'build-cli.ts')], { cwd: root, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) {
    process.stderr.write(`camfleet: building dist/ failed (exit ${build.status ?? build.signal}); nothing was run\n`);
    process.exit(1);
  }
}
await import(pathToFileURL(join(root, 'dist', 'camfleet.mjs')).href);
