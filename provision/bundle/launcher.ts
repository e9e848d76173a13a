// dist/camfleet.mjs: starts the bundled CLI (dist/camfleet.cjs) from V8's code cache when there is
// one. Node 20 compiles the 0.8 MB bundle from source on every start, about 100 ms of CPU that a
// no-op run otherwise spends before its first packet; the cache, written when a run ends without
// one, holds every function that run compiled, so the next start deserializes instead of parsing.
// One cache per command, each written by that command's first real run (not by --help), so it
// holds the functions the command needs. (Node 22's module.enableCompileCache does this for ES
// modules; Node 20 has it only for scripts.)
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const bundle = fileURLToPath(new URL('./camfleet.cjs', import.meta.url));
const command = process.argv[2] ?? '';
const cacheFile = `${bundle}.${/^[a-z]+$/.test(command) ? command : 'other'}.cache`;
const helpOnly = process.argv.includes('--help') || process.argv.includes('-h');

function readCache(): Buffer | undefined {
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

/** Written beside the bundle, atomically; a read-only install simply runs without a cache. */
function writeCache(script: Script): void {
  try {
    const temp = `${cacheFile}.${process.pid}`;
    writeFileSync(temp, script.createCachedData());
    renameSync(temp, cacheFile);
  } catch {
    // no cache this time: start-up is slower, nothing else changes
  }
}

const cachedData = readCache();
// The same wrapper Node puts around a CommonJS module; the #! line becomes an empty one.
const code = readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
const source = `(function (exports, require, module, __filename, __dirname) {${code}\n})`;
const script = new Script(source, { filename: bundle, cachedData });
if ((!cachedData || script.cachedDataRejected) && !helpOnly) process.once('exit', () => writeCache(script));
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
