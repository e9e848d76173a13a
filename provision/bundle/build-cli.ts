// `npm run build`: bundle the CLI into dist/ so that it starts fast. Four things made a no-op run
// slow from source and are done here once instead: compiling TypeScript (tsx), resolving hundreds of
// small dependency modules, compiling the inventory schema with ajv, and (through launcher.ts and
// V8's code cache) parsing the bundle. Run it as dist/camfleet.mjs.
// The streamer bundle and the viewer page's files are built here too, so the CLI needs no esbuild at run time.
import { build, type Plugin } from 'esbuild';
import { chmodSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, sep } from 'node:path';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { buildStreamerBundle } from '../../streamer/build.ts';
import { buildViewerAssets, type ViewerAssets } from '../../viewer/build.ts';
import { buildWallAssets, type WallAssets } from '../../wall/build.ts';
import { loadSchema, newAjv } from '../core/inventory/schema-validator.ts';
import { projectRoot } from '../converge/project-root.ts';
import { sourceStamp, stampFile } from './up-to-date.mjs';

// ajv's standalone is CommonJS: under NodeNext its default export sits on `.default`.
const standaloneCode = standaloneModule.default;

/** Modules of the source tree swapped for what they compute, computed now. */
function precomputed(streamerBundle: string, viewerAssets: ViewerAssets, wallAssets: WallAssets): Plugin {
  return {
    name: 'camfleet-precomputed',
    setup(b) {
      b.onLoad({ filter: /provision[/\\]core[/\\]inventory[/\\]schema-validator\.ts$/ }, () => {
        const ajv = newAjv({ code: { source: true, esm: true } });
        const validate = ajv.compile(loadSchema());
        const code = standaloneCode(ajv, validate);
        return {
          loader: 'js',
          resolveDir: join(projectRoot, 'provision', 'core', 'inventory'),
          contents: `${code}\nexport function inventoryValidator() { return validate20; }\n`,
        };
      });
      // The remote shell scripts, inline: the bundled CLI reads no script file at run time.
      b.onLoad({ filter: /provision[/\\]transport[/\\]remote-scripts\.ts$/ }, () => ({
        loader: 'js',
        contents: `const scripts = ${JSON.stringify(remoteScripts())};\nexport function scriptFile(path) { const s = scripts[path]; if (s === undefined) throw new Error('no remote script ' + path); return s; }\n`,
      }));
      b.onLoad({ filter: /streamer[/\\]build\.ts$/ }, () => ({
        loader: 'js',
        contents: `export async function buildStreamerBundle() { return ${JSON.stringify(streamerBundle)}; }\n`,
      }));
      b.onLoad({ filter: /viewer[/\\]build\.ts$/ }, () => ({
        loader: 'js',
        contents: `export async function buildViewerAssets() { return ${JSON.stringify(viewerAssets)}; }\n`,
      }));
      b.onLoad({ filter: /wall[/\\]build\.ts$/ }, () => ({
        loader: 'js',
        contents: `export async function buildWallAssets() { return ${JSON.stringify(wallAssets)}; }\n`,
      }));
    },
  };
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
    plugins: [precomputed(await buildStreamerBundle(), await buildViewerAssets(), await buildWallAssets())],
    define: { 'import.meta.url': '__importMetaUrl' },
    // "use strict" first, as esbuild would have put it: the sources are strict ES modules.
    banner: { js: `"use strict";const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;` },
    // Smaller to parse at start-up; the source map keeps stack traces readable.
    minify: true,
    keepNames: true,
    sourcemap: 'linked',
    logLevel: 'warning',
  });
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
