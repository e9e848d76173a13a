// Strict host-key checking against an OpenSSH known_hosts file: plain and hashed host entries,
// `[host]:port` for non-standard ports, @revoked markers. Trust on first use only when asked,
// and then the key is recorded in the file so the next run is strict again.
import { createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { globMatch } from '../core/glob.ts';
import { writeFileWhole } from './whole-file.ts';

export interface KnownKey {
  type: string;
  /** base64 of the public key blob, as ssh2 hands it to the verifier. */
  blob: string;
  revoked: boolean;
}

/** How a host is named in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function parseKnownHosts(text: string, host: string, port: number): KnownKey[] {
  return indexKnownHosts(text).lookup(host, port);
}

/**
 * A known_hosts file read once and indexed by host name, for a fleet's worth of lookups: a
 * rollout of N hosts checks N names against a file of (usually) N lines. Hashed and wildcard
 * entries cannot be indexed and are tried one by one, as OpenSSH does.
 */
export function indexKnownHosts(text: string): { lookup(host: string, port: number): KnownKey[] } {
  const byName = new Map<string, { at: number; key: KnownKey }[]>();
  const patterns: { at: number; patterns: string[]; key: KnownKey }[] = [];
  text.split('\n').forEach((raw, at) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker = '';
    if (fields[0]?.startsWith('@')) marker = fields.shift() ?? '';
    if (marker === '@cert-authority') return; // certificates are not supported; such lines never match
    const [hosts, type, blob] = fields;
    if (!hosts || !type || !blob) return;
    const key = { type, blob, revoked: marker === '@revoked' };
    const names = hosts.split(',');
    const plain = names.filter((p) => !p.startsWith('|') && !p.startsWith('!') && !/[*?]/.test(p));
    for (const name of new Set(plain)) byName.set(name, [...(byName.get(name) ?? []), { at, key }]);
    const rest = names.filter((p) => !plain.includes(p));
    if (rest.length) patterns.push({ at, patterns: rest, key });
  });
  return {
    lookup(host, port) {
      const name = knownHostsName(host, port);
      const matched = patterns.filter((e) => e.patterns.some((p) => hostMatches(p, name)));
      return [...(byName.get(name) ?? []), ...matched].sort((a, b) => a.at - b.at).map((e) => e.key);
    },
  };
}

function hostMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  if (pattern.startsWith('!')) return false;
  if (!/[*?]/.test(pattern)) return pattern === name;
  return globMatch(pattern, name);
}

/** Files indexed so far, each with the size and time of change it was read at. */
const indexed = new Map<string, { stamp: string; index: Promise<ReturnType<typeof indexKnownHosts>> }>();

export async function readKnownKeys(file: string, host: string, port: number): Promise<KnownKey[]> {
  let stamp: string;
  try {
    const s = await stat(file);
    stamp = `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  let cached = indexed.get(file);
  if (cached?.stamp !== stamp) {
    cached = { stamp, index: readFile(file, 'utf8').then(indexKnownHosts) };
    indexed.set(file, cached);
    cached.index.catch(() => indexed.delete(file));
  }
  return (await cached.index).lookup(host, port);
}

/** Record a key accepted on first use (explicit opt-in only). */
export async function recordKnownKey(file: string, host: string, port: number, type: string, blob: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, `${knownHostsName(host, port)} ${type} ${blob}\n`, { mode: 0o600 });
}

/** The key type named inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOf(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('ascii');
}

/**
 * Pin a host key before the host first answers (bootstrap): the entries that name exactly this
 * host alone (plain or hashed; a re-flashed Pi's old key) are dropped, every other line is kept as
 * it was, and the key is appended as recordKnownKey writes it.
 */
export async function pinKnownKey(file: string, host: string, port: number, type: string, blob: string): Promise<void> {
  const name = knownHostsName(host, port);
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const kept = text.split('\n').filter((raw) => {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#') || fields[0].startsWith('@')) return true;
    return !(fields[0].split(',').length === 1 && hostMatches(fields[0], name));
  });
  if (kept.length !== text.split('\n').length) {
    const rest = kept.join('\n');
    await writeFileWhole(file, rest && !rest.endsWith('\n') ? `${rest}\n` : rest, 0o600);
  }
  await recordKnownKey(file, host, port, type, blob);
}
