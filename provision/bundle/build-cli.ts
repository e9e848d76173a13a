// `npm run build`: bundle the CLI into dist/ so that it starts fast. Four things made a no-op run
// slow from source and are done here once instead: compiling TypeScript (tsx), resolving hundreds of
// small dependency modules, compiling the inventory schema with ajv, and (through launcher.ts and
// V8's code cache) parsing the bundle. Run it as dist/camfleet.mjs.
// What is built for the Pi and the browser (converge/artifacts.ts) is built here too, so the CLI needs no esbuild at run time.
import { build, type Plugin } from 'esbuild';
import { chmodSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import standaloneModule from 'ajv/dist/standalone/index.js';
import type { Artifacts } from '../../contract/artifacts.ts';
import { buildArtifacts } from '../converge/artifacts.ts';
import { loadSchema, newAjv } from '../core/inventory/schema-validator.ts';
import { projectRoot } from '../converge/project-root.ts';
import { sourceStamp, stampFile } from './up-to-date.mjs';

// ajv's standalone is CommonJS: under NodeNext its default export sits on `.default`.
const standaloneCode = standaloneModule.default;

/** Modules of the source tree swapped for what they compute, computed now, each found by its path. */
function precomputed(artifacts: Artifacts): { plugin: Plugin; missing(): string[] } {
  const swaps: Record<string, () => { loader: 'js'; contents: string; resolveDir?: string }> = {
    'provision/core/inventory/schema-validator.ts': () => {
      const ajv = newAjv({ code: { source: true, esm: true } });
      const code = standaloneCode(ajv, ajv.compile(loadSchema()));
      return { loader: 'js', resolveDir: join(projectRoot, 'provision', 'core', 'inventory'), contents: `${code}\nexport function inventoryValidator() { return validate20; }\n` };
    },
    // The remote shell scripts, inline: the bundled CLI reads no script file at run time.
    'provision/transport/remote-scripts.ts': () => ({
      loader: 'js',
      contents: `const scripts = ${JSON.stringify(remoteScripts())};\nexport function scriptFile(path) { const s = scripts[path]; if (s === undefined) throw new Error('no remote script ' + path); return s; }\n`,
    }),
    // Everything built for the Pi and the browser: the one seam (converge/artifacts.ts).
    'provision/converge/artifacts.ts': () => ({ loader: 'js', contents: `export async function buildArtifacts() { return ${JSON.stringify(artifacts)}; }\n` }),
  };
  const seen = new Set<string>();
  const plugin: Plugin = {
    name: 'camfleet-precomputed',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const path = relative(projectRoot, args.path).split(sep).join('/');
        const swap = swaps[path];
        if (!swap) return undefined;
        seen.add(path);
        return swap();
      });
    },
  };
  // A module renamed or moved would silently be bundled as it is (slow, or needing esbuild at run time): the build fails instead.
  return { plugin, missing: () => Object.keys(swaps).filter((path) => !seen.has(path)) };
}

/** Every .sh under provision/, keyed by its path under provision/ (as remote-scripts.ts names them). */
function remoteScripts(): Record<string, string> {
  const dir = join(projectRoot, 'provision');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.sh')).sort();
  return Object.fromEntries(files.map((f) => [f.split(sep).join('/'), readFileSync(join(dir, f), 'utf8')]));
}

/** Builds into `outdir` (inside the checkout: the CLI finds templates and schema above itself). */
export async function buildCli(target = join(projectRoot, 'dist')): Promise<string> {
  // What it is built from, taken before the build reads it: a source changed meanwhile makes
  // `npm run provision` build again (fresh-cli.mjs).
  const stamp = sourceStamp(projectRoot);
  const outdir = `${target}.building-${process.pid}`;
  rmSync(outdir, { recursive: true, force: true });
  const swaps = precomputed(await buildArtifacts());
  await build({
    entryPoints: [join(projectRoot, 'provision', 'cli', 'main.ts')],
    outfile: join(outdir, 'camfleet.cjs'),
    bundle: true,
    platform: 'node',
    // CommonJS, so launcher.ts can run it from V8's code cache (Node 20 has none for ES modules).
    // A command's modules still load only when it runs: esbuild turns import() into a lazy require.
    format: 'cjs',
    target: 'node20',
    // esbuild is a native binary; ssh2's optional native helpers are used only if present. zx,
    // a third of the bundle, is needed only by `render`'s validators: loaded from node_modules
    // then, rather than read at every start.
    external: ['esbuild', 'zx', 'cpu-features', '*.node'],
    plugins: [swaps.plugin],
    define: { 'import.meta.url': '__importMetaUrl' },
    // "use strict" first, as esbuild would have put it: the sources are strict ES modules.
    banner: { js: `"use strict";const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;` },
    // Smaller to parse at start-up; the source map keeps stack traces readable.
    minify: true,
    keepNames: true,
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  const missing = swaps.missing();
  if (missing.length) throw new Error(`build-cli: ${missing.join(', ')} not found in the bundle: a module the build precomputes was renamed or moved (update precomputed())`);
  const launcher = join(outdir, 'camfleet.mjs');
  await build({
    entryPoints: [join(projectRoot, 'provision', 'bundle', 'launcher.ts')],
    outfile: launcher,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
  chmodSync(launcher, 0o755);
  writeFileSync(join(outdir, basename(stampFile(projectRoot))), stamp);
  // Swapped in whole: a CLI starting meanwhile runs the old build or the new one, never half of one.
  const old = `${target}.old-${process.pid}`;
  rmSync(old, { recursive: true, force: true });
  try {
    renameSync(target, old);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  try {
    renameSync(outdir, target);
  } catch (e) {
    // Another build swapped its own in meanwhile (two runs started on changed sources): use that one.
    if ((e as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    rmSync(outdir, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
  return join(target, 'camfleet.mjs');
}

if (process.argv[1]?.endsWith('build-cli.ts')) console.log(`built ${await buildCli()}`);
