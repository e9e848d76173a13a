// The shell scripts camfleet runs on a host: real .sh files beside the modules that run them
// (facts/, apply/; shellchecked by npm test), read from the checkout once each. The bundled CLI
// carries them inline instead (bundle/build-cli.ts replaces this module).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** provision/, found from this module's own place (it is not bundled: see above). */
const provisionDir = fileURLToPath(new URL('..', import.meta.url));

const read = new Map<string, string>();

/** A script by its path under provision/, e.g. `facts/observe/observe.sh`. */
export function scriptFile(path: string): string {
  let text = read.get(path);
  if (text === undefined) {
    text = readFileSync(join(provisionDir, path), 'utf8');
    read.set(path, text);
  }
  return text;
}
