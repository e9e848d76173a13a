// Read, validate and resolve an inventory: the one entry point the CLI, the client and the tests
// use. Every problem in the file is collected and thrown together as one InventoryError.
import { readFile, stat } from 'node:fs/promises';
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
  /** Or choose them from the validated file's host and group names (the command line's selection). */
  select?: (names: string[], groups: Record<string, string[]>) => string[];
}

/** Far above any real fleet (1,000 hosts are ~100 KB), low enough that a mistaken file fails at once. */
export const maxInventoryBytes = 8 * 1024 * 1024;

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
  let bytes: Buffer;
  try {
    const kind = await stat(path);
    if (!kind.isFile()) throw Object.assign(new Error(), { code: 'not a regular file' });
    if (kind.size > maxInventoryBytes) throw Object.assign(new Error(), { code: `${kind.size} bytes; at most ${maxInventoryBytes} are read` });
    bytes = await readFile(path);
  } catch (e) {
    throw new InventoryError([{ file: display, message: `cannot read inventory (${(e as NodeJS.ErrnoException).code})` }]);
  }
  return parseAndResolve(display, decodeUtf8(display, bytes), dirname(resolve(path)), options);
}

/** The file as text; a byte that is not UTF-8 is an error at its place, never silently U+FFFD. */
function decodeUtf8(file: string, bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const lenient = new TextDecoder('utf-8').decode(bytes);
    const at = lenient.indexOf('\uFFFD');
    const before = lenient.slice(0, Math.max(0, at));
    const line = before.split('\n').length;
    const col = at - before.lastIndexOf('\n');
    throw new InventoryError([{ file, line, col, message: 'is not UTF-8 text: an invalid byte sequence starts here' }]);
  }
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
  const groups: Record<string, string[]> = {};
  for (const group of Object.keys(raw.groups ?? {})) groups[group] = names.filter((n) => raw.hosts[n]?.groups?.includes(group));
  const selected = new Set(options.select ? options.select(names, groups) : options.only ?? names);

  const problems: Problem[] = checkFleet(doc, raw.hosts);
  const hosts: ResolvedHost[] = [];
  for (const name of names) {
    if (!selected.has(name)) continue;
    const r = resolveHost(doc, raw, name, inventoryDir, options.env ?? process.env);
    problems.push(...r.problems, ...checkHost(doc, r));
    hosts.push(r.host);
  }
  if (problems.length) throw new InventoryError(sortByPlace(problems));
  return { file, names, groups, hosts };
}

function sortByPlace(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
