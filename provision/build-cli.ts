// `npm run build`: bundle the CLI into dist/camfleet.mjs so it starts without compiling
// TypeScript (tsx costs ~0.3 s a run: most of a no-op provision). Dependencies stay in node_modules.
import { build } from 'esbuild';
import { join } from 'node:path';
import { projectRoot } from './project-root.ts';

export async function buildCli(): Promise<string> {
  const outfile = join(projectRoot, 'dist', 'camfleet.mjs');
  await build({
    entryPoints: [join(projectRoot, 'provision', 'cli.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1]?.endsWith('build-cli.ts')) console.log(`built ${await buildCli()}`);
