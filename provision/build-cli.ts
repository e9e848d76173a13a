// `npm run build`: bundle the CLI into one file, dist/camfleet.mjs, that starts fast. Three things
// made a no-op run slow from source and are done here once instead: compiling TypeScript (tsx),
// resolving hundreds of small dependency modules, and compiling the inventory schema with ajv.
// The streamer bundle is built here too, so the CLI needs no esbuild at run time.
import { build, type Plugin } from 'esbuild';
import { join } from 'node:path';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { buildStreamerBundle } from '../streamer/build.ts';
import { loadSchema, newAjv } from './inventory/schema-validator.ts';
import { projectRoot } from './project-root.ts';

// ajv's standalone is CommonJS: under NodeNext its default export sits on `.default`.
const standaloneCode = standaloneModule.default;

/** Modules of the source tree swapped for what they compute, computed now. */
function precomputed(streamerBundle: string): Plugin {
  return {
    name: 'camfleet-precomputed',
    setup(b) {
      b.onLoad({ filter: /provision[/\\]inventory[/\\]schema-validator\.ts$/ }, () => {
        const ajv = newAjv({ code: { source: true, esm: true } });
        const validate = ajv.compile(loadSchema());
        const code = standaloneCode(ajv, validate);
        return {
          loader: 'js',
          resolveDir: join(projectRoot, 'provision', 'inventory'),
          contents: `${code}\nexport const schemaPath = ${JSON.stringify(join(projectRoot, 'schemas', 'inventory.schema.json'))};\nexport function inventoryValidator() { return validate20; }\n`,
        };
      });
      b.onLoad({ filter: /streamer[/\\]build\.ts$/ }, () => ({
        loader: 'js',
        contents: `export async function buildStreamerBundle() { return ${JSON.stringify(streamerBundle)}; }\n`,
      }));
    },
  };
}

export async function buildCli(): Promise<string> {
  const outfile = join(projectRoot, 'dist', 'camfleet.mjs');
  await build({
    entryPoints: [join(projectRoot, 'provision', 'cli.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // esbuild is a native binary; ssh2's optional native helpers are used only if present.
    external: ['esbuild', 'cpu-features', '*.node'],
    plugins: [precomputed(await buildStreamerBundle())],
    // CommonJS dependencies expect require, __filename and __dirname.
    banner: {
      js: [
        "import { createRequire as __createRequire } from 'node:module';",
        "import { fileURLToPath as __fileURLToPath } from 'node:url';",
        'const require = __createRequire(import.meta.url);',
        'const __filename = __fileURLToPath(import.meta.url);',
        "const __dirname = __fileURLToPath(new URL('.', import.meta.url));",
      ].join('\n'),
    },
    // Smaller to parse at start-up; the source map keeps stack traces readable.
    minify: true,
    keepNames: true,
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1]?.endsWith('build-cli.ts')) console.log(`built ${await buildCli()}`);
