// The shell scripts camfleet runs on a host: real .sh files beside the modules that run them
// (shellchecked by npm test), read from the checkout once each. The bundled CLI carries them
// inline instead (build-cli.ts replaces this module).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './project-root.ts';

const read = new Map<string, string>();

/** A script by its path under provision/, e.g. `observe/observe.sh`. */
export function scriptFile(path: string): string {
  let text = read.get(path);
  if (text === undefined) {
    text = readFileSync(join(projectRoot, 'provision', path), 'utf8');
    read.set(path, text);
  }
  return text;
}
