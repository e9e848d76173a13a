// Strict host-key checking against an OpenSSH known_hosts file: plain and hashed host entries,
// `[host]:port` for non-standard ports, @revoked markers. Trust on first use only when asked,
// and then the key is recorded in the file so the next run is strict again.
import { createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

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
  const name = knownHostsName(host, port);
  const keys: KnownKey[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker = '';
    if (fields[0]?.startsWith('@')) marker = fields.shift() ?? '';
    if (marker === '@cert-authority') continue; // certificates are not supported; such lines never match
    const [hosts, type, blob] = fields;
    if (!hosts || !type || !blob) continue;
    if (hosts.split(',').some((pattern) => hostMatches(pattern, name))) keys.push({ type, blob, revoked: marker === '@revoked' });
  }
  return keys;
}

function hostMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  if (pattern.startsWith('!')) return false;
  if (!/[*?]/.test(pattern)) return pattern === name;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(name);
}

export async function readKnownKeys(file: string, host: string, port: number): Promise<KnownKey[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'), host, port);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
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
