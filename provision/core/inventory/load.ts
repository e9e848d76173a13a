// Validate and resolve an inventory's text. Every problem in the file is collected and thrown
// together as one InventoryError. Pure: load-inventory.ts reads the file, and hands in the
// environment, the home directory and a reader for secret files.
import { checkRecording } from './recording-rules.ts';
import { InventoryError, type Problem } from '../errors.ts';
import type { ResolvedHost } from '../types.ts';
import { parseInventory } from './document.ts';
import { resolveHost, type RawInventory } from './resolve.ts';
import { relayLinks, usesRelay } from './relay.ts';
import type { SecretSources } from './secrets.ts';
import { checkFleet, checkHost } from './rules.ts';
import { validateSchema } from './schema.ts';

export interface LoadOptions {
  /** The environment `{ env: NAME }` secrets are read from (default: none). */
  env?: SecretSources['env'];
  /** Reads `{ file: path }` secrets (default: none can be read). */
  readSecretFile?: SecretSources['readFile'];
  /** What `~/` in ssh paths expands to. */
  homeDir?: string;
  /** Also resolve and check what only the first boot needs (bootstrap: the uplink's passphrase). */
  firstBoot?: boolean;
  /** Resolve (and so require the secrets of) only these hosts; all hosts are still validated. */
  only?: readonly string[];
  /** Or choose them from the validated file's host and group names (the command line's selection). */
  select?: (names: string[], groups: Record<string, string[]>) => string[];
}

export interface Inventory {
  file: string;
  /** Every host name, in file order, whether resolved or not. */
  names: string[];
  /** Group name -> member host names. */
  groups: Record<string, string[]>;
  hosts: ResolvedHost[];
}

/** Text in, resolved hosts or problems out. */
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
  const relay = usesRelay(raw) ? relayLinks(doc, raw) : undefined;
  if (relay) problems.push(...relay.problems);
  const hosts: ResolvedHost[] = [];
  for (const name of names) {
    if (!selected.has(name)) continue;
    const r = resolveHost(doc, raw, name, { inventoryDir, env: options.env ?? {}, readFile: options.readSecretFile, homeDir: options.homeDir, firstBoot: options.firstBoot });
    problems.push(...r.problems, ...checkHost(doc, r, { firstBoot: options.firstBoot === true }), ...checkRecording(doc, r.host, r.at, raw.hosts[name]!.role === 'origin'));
    const target = relay?.targets.get(name);
    const origin = relay?.origins.get(name);
    hosts.push({ ...r.host, ...(target ? { relay: target } : {}), ...(origin ? { origin } : {}) });
  }
  if (problems.length) throw new InventoryError(sortByPlace(problems));
  return { file, names, groups, hosts };
}

/** In file order, each once: a value set in defaults or a group is checked for every host that takes it. */
function sortByPlace(problems: Problem[]): Problem[] {
  const once = new Map(problems.map((p) => [`${p.line}:${p.col}:${p.path}:${p.message}`, p]));
  return [...once.values()].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
