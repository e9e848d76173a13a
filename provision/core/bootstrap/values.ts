// What bootstrap writes onto a card, checked once before any format sees it: the inventory's
// schema already holds names, users and zones to their patterns; these are the values that come
// from elsewhere (the operator's key file, ssh-keygen's output).

/** One OpenSSH public key line: type, base64 blob, optional comment without control characters. */
const publicKeyLine = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,2}( [^\x00-\x1f\x7f]*)?$/;

/** The key as one line, or what is wrong with it (the key is public: quoting its start is fine). */
export function checkPublicKey(text: string): { ok: true; key: string } | { ok: false; fault: string } {
  if (text.includes('PRIVATE KEY-----')) return { ok: false, fault: 'is a private key: give the .pub file' };
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length !== 1) return { ok: false, fault: lines.length ? `holds ${lines.length} lines; one public key is expected` : 'is empty' };
  const key = lines[0]!.trim();
  if (!publicKeyLine.test(key)) return { ok: false, fault: 'is not an OpenSSH public key line (ssh-ed25519 AAAA... comment)' };
  return { ok: true, key };
}

/** A generated ed25519 host key pair, as ssh-keygen writes it. */
export interface HostKeyPair {
  /** The OpenSSH private key file's text. Secret. */
  privateKey: string;
  /** `ssh-ed25519 AAAA...` (no comment). */
  publicKey: string;
}

export function checkHostKey(k: HostKeyPair): void {
  if (!/^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END OPENSSH PRIVATE KEY-----\n?$/.test(k.privateKey)) throw new Error('the generated host key is not an OpenSSH private key');
  if (!/^ssh-ed25519 [A-Za-z0-9+/]+={0,2}$/.test(k.publicKey)) throw new Error('the generated host public key is not one ssh-ed25519 line');
}
