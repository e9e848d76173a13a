// A lab inventory with changes, in a scratch file: tests and benchmarks vary a setting (bitrate,
// stat port, camera) without touching .lab/inventory.yaml.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { labInventoryText, type LabHost } from './state.ts';

type Entry = Record<string, unknown>;
export type Edit = (doc: { defaults: Entry; hosts: Record<string, Entry> }) => void;

/** Write the lab inventory for `hosts`, changed by `edit`, to a scratch file; returns its path. */
export function writeInventory(hosts: readonly LabHost[], edit: Edit = () => {}): string {
  const doc = parse(labInventoryText(hosts)) as Parameters<Edit>[0];
  edit(doc);
  const file = join(mkdtempSync(join(tmpdir(), 'camfleet-inv-')), 'inventory.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}
