// The operator's key, parsed once per run and signing from a key object: its signatures must be
// the ones ssh2 would have made, for every key type camfleet meets.
import { randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { parseIdentity } from '../provision/transport/identity.ts';

const { utils } = ssh2;
/** ssh2's generator drops a leading zero byte of an ed25519 key now and then, making a key (private or public) ssh2 rejects. */
function generate(type: 'ed25519' | 'ecdsa' | 'rsa', bits?: number) {
  for (;;) {
    const pair = type === 'ed25519' ? utils.generateKeyPairSync(type) : utils.generateKeyPairSync(type, { bits: bits! });
    if (!(utils.parseKey(pair.private) instanceof Error) && !(utils.parseKey(pair.public) instanceof Error)) return pair;
  }
}

describe('the operator identity', () => {
  const data = randomBytes(200);
  const cases = [
    ['ed25519', generate('ed25519'), [undefined]],
    ['ecdsa', generate('ecdsa', 256), [undefined]],
    ['rsa', generate('rsa', 2048), [undefined, 'sha256', 'sha512']],
  ] as const;

  for (const [type, pair, digests] of cases)
    it(`signs as ssh2 does with an ${type} key`, () => {
      const key = parseIdentity(pair.private, `id_${type}`);
      const reference = utils.parseKey(pair.private) as ssh2.ParsedKey;
      const publicKey = utils.parseKey(pair.public) as ssh2.ParsedKey;
      expect(key.sign).not.toBe(reference.sign); // the fast path is the one taken
      for (const digest of digests) {
        const signature = key.sign(data, digest);
        expect(signature).toBeInstanceOf(Buffer);
        expect(publicKey.verify(data, signature as Buffer, digest)).toBe(true);
        expect(publicKey.verify(randomBytes(200), signature as Buffer, digest)).toBe(false);
        // Deterministic signatures (ed25519, RSA PKCS#1 v1.5) are byte for byte ssh2's own.
        if (type !== 'ecdsa') expect(signature).toEqual(reference.sign(data, digest));
      }
    });

  it('says why a key cannot be used', () => {
    expect(() => parseIdentity('not a key', '/home/op/.ssh/id_ed25519')).toThrow(/cannot read the private key in \/home\/op\/\.ssh\/id_ed25519/);
    expect(() => parseIdentity(generate('ed25519').public, 'id.pub')).toThrow(/id\.pub holds a public key/);
  });
});
