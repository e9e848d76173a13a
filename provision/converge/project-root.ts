// The checkout camfleet runs from, found by walking up to its package.json, so templates and the
// schema are found the same way from the TypeScript sources and from the bundled CLI in dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'schemas', 'inventory.schema.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`camfleet: cannot find the project root above ${start}`);
  }
}

export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)));
