// known_hosts lookups: read once per run and indexed (a 1,000-host rollout used to read and parse
// the whole file once per host), with OpenSSH's matching rules unchanged.
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseKnownHosts, readKnownKeys } from '../provision/transport/known-hosts.ts';

const hashed = (name: string, salt = Buffer.from('0123456789abcdef0123')) =>
  `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;

const file = [
  '# comment',
  '10.0.0.1 ssh-ed25519 KEY1',
  '[10.0.0.2]:2222,pi2 ssh-ed25519 KEY2',
  `${hashed('10.0.0.3')} ssh-ed25519 KEY3`,
  '10.0.0.* ssh-rsa WILD',
  '@revoked 10.0.0.1 ssh-ed25519 OLD1',
  '@cert-authority * ssh-ed25519 CA',
  '10.0.0.1 ecdsa-sha2-nistp256 KEY1B',
].join('\n');

describe('known_hosts', () => {
  it('matches plain, [host]:port, hashed and wildcard entries, in file order, marking @revoked', () => {
    expect(parseKnownHosts(file, '10.0.0.1', 22)).toEqual([
      { type: 'ssh-ed25519', blob: 'KEY1', revoked: false },
      { type: 'ssh-rsa', blob: 'WILD', revoked: false },
      { type: 'ssh-ed25519', blob: 'OLD1', revoked: true },
      { type: 'ecdsa-sha2-nistp256', blob: 'KEY1B', revoked: false },
    ]);
    expect(parseKnownHosts(file, '10.0.0.2', 2222).map((k) => k.blob)).toEqual(['KEY2']);
    expect(parseKnownHosts(file, '10.0.0.2', 22).map((k) => k.blob)).toEqual(['WILD']);
    expect(parseKnownHosts(file, '10.0.0.3', 22).map((k) => k.blob)).toEqual(['KEY3', 'WILD']);
    expect(parseKnownHosts(file, 'pi2', 22).map((k) => k.blob)).toEqual(['KEY2']);
    expect(parseKnownHosts(file, 'pi2', 2222)).toEqual([]);
    expect(parseKnownHosts(file, '192.168.1.1', 22)).toEqual([]);
  });

  it('reads a file again once it changed, and not before', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'camfleet-kh-')), 'known_hosts');
    expect(await readKnownKeys(path, 'pi', 22)).toEqual([]);
    writeFileSync(path, 'pi ssh-ed25519 A\n');
    expect((await readKnownKeys(path, 'pi', 22)).map((k) => k.blob)).toEqual(['A']);
    appendFileSync(path, 'pi2 ssh-ed25519 B\n');
    expect((await readKnownKeys(path, 'pi2', 22)).map((k) => k.blob)).toEqual(['B']);
  });

  it('finds each of 2,000 hosts its own key in a 2,000-line file, looked up all at once', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'camfleet-kh-')), 'known_hosts');
    const names = Array.from({ length: 2000 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    writeFileSync(path, names.map((n, i) => `[${n}]:2022 ssh-ed25519 K${i}\n`).join(''));
    const keys = await Promise.all(names.map((n) => readKnownKeys(path, n, 2022)));
    expect(keys.map((k) => k[0]?.blob)).toEqual(names.map((_, i) => `K${i}`));
  });
});
