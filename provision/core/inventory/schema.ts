// Validate the raw inventory against schemas/inventory.schema.json, turning every ajv error into
// one readable problem at its place in the file.
import type { ErrorObject } from 'ajv';
import type { Problem } from '../errors.ts';
import { editDistance } from '../edit-distance.ts';
import type { InventoryDocument } from './document.ts';
import { allowEntryForm } from './address.ts';
import { inventoryValidator } from './schema-validator.ts';

/** What a failed `pattern` means, by the name of the field it guards. */
const patternHints: Record<string, string> = {
  resolution: 'must be WIDTHxHEIGHT, e.g. 1280x720',
  bitrate: 'must be bits per second with an optional k or M suffix, e.g. 2500k or 4M',
  device: 'must be /dev/videoN, a stable /dev/v4l/by-id/... (or by-path) path, lavfi:SOURCE, file:/PATH or libcamera:ID (ID as cam -l prints it; libcamera: alone is the first camera)',
  address: 'must be an IPv4 address, e.g. 10.42.0.1',
  hostAddress: 'must be an IP address or a DNS name, e.g. 192.168.1.21 or pi1.local',
  ssid: 'must not contain control characters (newline, tab, NUL, ...)',
  passphrase: 'must not contain control characters (newline, tab, NUL, ...)',
  file: 'must be a path without control characters (newline, tab, NUL, ...)',
  identityFile: 'must be a path without control characters (newline, tab, NUL, ...)',
  knownHostsFile: 'must be a path without control characters (newline, tab, NUL, ...)',
  publicKeyFile: 'must be a path without control characters (newline, tab, NUL, ...)',
  timezone: 'must be an IANA time zone name, e.g. Europe/London or Etc/UTC',
  dhcpStart: 'must be an IPv4 address, e.g. 10.42.0.10',
  dhcpEnd: 'must be an IPv4 address, e.g. 10.42.0.100',
  key: 'may only contain letters, digits, _ and -',
  application: 'may only contain letters, digits, _ and -',
  interface: 'must be a network interface name (at most 15 characters)',
  user: 'must be a Unix user name',
  jump: 'must be [user@]host[:port]',
  country: 'must be a two-letter upper-case ISO 3166 country code, e.g. GB',
  env: 'must be an environment variable name',
  groups: 'must be a group name: lowercase letters, digits and -',
  to: 'must be the name of an inventory host (role: origin)',
  // access.publish/play/stat/metrics entries, by their list's name.
  publish: allowEntryForm,
  play: allowEntryForm,
  stat: allowEntryForm,
  metrics: allowEntryForm,
};

export function validateSchema(doc: InventoryDocument): Problem[] {
  const validate = inventoryValidator();
  if (validate(doc.data)) return [];
  const errors = validate.errors ?? [];
  // A value that may be plain or a secret reference (a oneOf) fails every branch. A branch of its
  // kind that failed on its content (a pattern, a length) says what is wrong with it; the other
  // branches' errors (wrong type, a missing key) are noise. Without one, the oneOf explains itself.
  const under = (e: ErrorObject, path: string) => e.instancePath === path || e.instancePath.startsWith(`${path}/`);
  const isContent = (e: ErrorObject) => ['pattern', 'maxLength', 'minLength'].includes(e.keyword);
  const oneOfPaths = errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath);
  const explained = oneOfPaths.filter((p) => errors.some((e) => isContent(e) && under(e, p)));
  const kept = errors.filter((e) => {
    if (!oneOfPaths.some((p) => under(e, p))) return true;
    return explained.some((p) => under(e, p)) ? isContent(e) : e.keyword === 'oneOf';
  });
  const problems = kept.map((e) => toProblem(doc, e));
  // ajv can report the same place twice (e.g. through two $refs); say each thing once.
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.line}:${p.col}:${p.path}:${p.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

function toProblem(doc: InventoryDocument, e: ErrorObject): Problem {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const field = String(path.at(-1) ?? '');
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      const guess = closest(key, allowed);
      const hint = guess ? ` — did you mean '${guess}'?` : allowed.length ? ` (expected one of: ${allowed.join(', ')})` : '';
      return doc.problem([...path, key], `unknown key '${key}'${hint}`, 'key');
    }
    case 'propertyNames':
      return doc.problem([...path, String(params.propertyName)], `'${String(params.propertyName)}' is not a valid name: use lowercase letters, digits and -`, 'key');
    case 'required':
      return doc.problem(path, `missing required key '${String(params.missingProperty)}'`);
    case 'type':
      return doc.problem(path, `must be ${article(String(params.type))}`);
    case 'enum':
      return doc.problem(path, `must be one of: ${(params.allowedValues as unknown[]).join(', ')}`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return doc.problem(path, `must be ${String(params.comparison)} ${String(params.limit)}`);
    case 'pattern': {
      // A host's own address may be a DNS name; a hotspot address is always IPv4.
      const key = field === 'address' && path[0] === 'hosts' && path.length === 3 ? 'hostAddress' : field;
      return doc.problem(path, patternHints[key] ?? patternHints[String(path.at(-2) ?? '')] ?? `must match ${String(params.pattern)}`);
    }
    case 'minLength':
      return doc.problem(path, params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters`);
    case 'maxLength':
      // Only the length: the value may be a secret.
      return doc.problem(path, `must be at most ${String(params.limit)} characters (it has ${String(e.data).length})`);
    case 'format':
      return doc.problem(path, `must be an ${String(params.format).toUpperCase()} address`);
    case 'oneOf':
      // An ingest's key is a secret reference only: a service's key in the YAML would be in git.
      if (field === 'key' && path.at(-3) === 'ingests') return doc.problem(path, 'must be a secret reference, { env: NAME } or { file: path }: an ingest\'s stream key is never written in the inventory');
      return doc.problem(path, 'must be a plain value or a secret reference: { env: NAME } or { file: path }');
    case 'minProperties':
      return doc.problem(path, 'must not be empty');
    case 'uniqueItems':
      return doc.problem(path, 'must not list the same item twice');
    default:
      return doc.problem(path, e.message ?? `fails ${e.keyword}`);
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** The allowed key closest to a misspelt one, if it is plausibly a typo. */
function closest(word: string, candidates: string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (!best || d < best.d) best = { c, d };
  }
  return best && best.d <= Math.max(1, Math.floor(best.c.length / 3)) ? best.c : undefined;
}
