// The operator's SSH identity, read and parsed once per run rather than once per host, and signing
// with a key object made once: ssh2 signs with the key's PEM text, which OpenSSL decodes again
// for every signature (~0.6 ms each; ~0.05 ms from a key object), once per host of a fleet.
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';

/** ssh2's default digest for each key type, used when the server names none (RSA's is per signature algorithm). */
const defaultDigest: Record<string, string | null> = {
  'ssh-ed25519': null,
  'ecdsa-sha2-nistp256': 'sha256',
  'ecdsa-sha2-nistp384': 'sha384',
  'ecdsa-sha2-nistp521': 'sha512',
  'ssh-rsa': 'sha1',
};

const identities = new Map<string, Promise<ParsedKey>>();

/** The private key in `path`, parsed, ready to sign. Throws with the reason when it cannot be used. */
export function loadIdentity(path: string): Promise<ParsedKey> {
  let identity = identities.get(path);
  if (!identity) {
    identity = readFile(path, 'utf8').then((text) => parseIdentity(text, path));
    identities.set(path, identity);
  }
  return identity;
}

export function parseIdentity(text: string, path: string): ParsedKey {
  const parsed = ssh2.utils.parseKey(text);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) throw new Error(`cannot read the private key in ${path}: ${key?.message ?? 'no key'} (a key with a passphrase needs ssh-agent)`);
  if (!key.isPrivateKey()) throw new Error(`${path} holds a public key, not a private one`);
  const pem = key.getPrivatePEM();
  if (!(key.type in defaultDigest) || !pem) return key;
  const privateKey: KeyObject = createPrivateKey(pem);
  // The same signature ssh2 would make (it converts it to SSH's wire format afterwards).
  key.sign = (data: Buffer, digest?: string) => {
    try {
      return sign(digest ?? defaultDigest[key.type] ?? null, data, privateKey);
    } catch (e) {
      return e as Error;
    }
  };
  return key;
}
