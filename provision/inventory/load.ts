// Read, validate and resolve an inventory: the one entry point the CLI, the client and the tests
// use. Every problem in the file is collected and thrown together as one InventoryError.
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { InventoryError, type Problem } from '../errors.ts';
import type { ResolvedHost } from '../types.ts';
import { parseInventory } from './document.ts';
import { resolveHost, type RawInventory } from './resolve.ts';
import { checkFleet, checkHost } from './rules.ts';
import { validateSchema } from './schema.ts';

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Resolve (and so require the secrets of) only these hosts; all hosts are still validated. */
  only?: readonly string[];
}

export interface Inventory {
  file: string;
  /** Every host name, in file order, whether resolved or not. */
  names: string[];
  /** Group name -> member host names. */
  groups: Record<string, string[]>;
  hosts: ResolvedHost[];
}

export async function loadInventory(path: string, options: LoadOptions = {}): Promise<Inventory> {
  const display = relative(process.cwd(), path) || path;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new InventoryError([{ file: display, message: `cannot read inventory (${(e as NodeJS.ErrnoException).code})` }]);
  }
  return parseAndResolve(display, text, dirname(resolve(path)), options);
}

/** The pure part of loading: text in, resolved hosts or problems out. */
export function parseAndResolve(file: string, text: string, inventoryDir: string, options: LoadOptions = {}): Inventory {
  const parsed = parseInventory(file, text);
  if (!parsed.doc) throw new InventoryError(parsed.problems);
  const doc = parsed.doc;
  const schemaProblems = validateSchema(doc);
  if (schemaProblems.length) throw new InventoryError(schemaProblems);

  const raw = doc.data as RawInventory;
  const names = Object.keys(raw.hosts);
  const problems: Problem[] = [...checkFleet(doc, raw.hosts)];
  const hosts: ResolvedHost[] = [];
  for (const name of names) {
    if (options.only && !options.only.includes(name)) continue;
    const r = resolveHost(doc, raw, name, inventoryDir, options.env ?? process.env);
    problems.push(...r.problems, ...checkHost(doc, r.host, r.at, r.isSet));
    hosts.push(r.host);
  }
  if (problems.length) throw new InventoryError(sortByPlace(problems));

  const groups: Record<string, string[]> = {};
  for (const group of Object.keys(raw.groups ?? {})) groups[group] = names.filter((n) => raw.hosts[n]?.groups?.includes(group));
  return { file, names, groups, hosts };
}

function sortByPlace(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
