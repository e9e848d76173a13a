// The VM lab Pi's name and its fixed SSH host key.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { $ } from 'zx';
import { cacheDir } from '../state.ts';

export const vmName = 'vm1';

/**
 * The VM's SSH host key: made once on this machine and baked into the image, so the lab's
 * known_hosts can name it and camfleet keeps strict host-key checking on.
 */
export async function vmHostKey(): Promise<{ privatePath: string; publicKey: string }> {
  const dir = join(cacheDir, 'host-keys');
  const privatePath = join(dir, `${vmName}_ed25519`);
  if (!existsSync(privatePath)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await $({ quiet: true })`ssh-keygen -q -t ed25519 -N ${''} -C ${`root@${vmName}`} -f ${privatePath}`;
  }
  const [type, blob] = (await readFile(`${privatePath}.pub`, 'utf8')).trim().split(/\s+/);
  return { privatePath, publicKey: `${type} ${blob}` };
}
