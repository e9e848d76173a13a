// A lab Pi's fixed SSH host key: made once on this machine and reused by every boot, so the lab's
// known_hosts can pin it and camfleet keeps strict host-key checking on against the lab.
import { existsSync } from 'node:fs';
import { link, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { $ } from 'zx';
import { writeFileWhole } from '../provision/transport/whole-file.ts';
import { cacheDir } from './state.ts';

/**
 * The key pair of the lab Pi `name` (`<cache>/host-keys/<name>_ed25519` and `.pub`), made when
 * missing. Two test groups booting a `lab1` each at once may both make one: each makes its own in
 * a scratch folder and links it into place, and a link fails where a key already is, so the first
 * one made is the one both use. The public half is derived from it, never made beside it.
 */
export async function labHostKey(name: string): Promise<{ privatePath: string; publicKey: string }> {
  const dir = join(cacheDir, 'host-keys');
  const privatePath = join(dir, `${name}_ed25519`);
  if (!existsSync(privatePath)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const scratch = await mkdtemp(join(dir, `.${name}-`));
    try {
      await $({ quiet: true })`ssh-keygen -q -t ed25519 -N ${''} -C ${`root@${name}`} -f ${join(scratch, 'key')}`;
      await link(join(scratch, 'key'), privatePath).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  // Derived only when missing: every boot reads it, and it is whole once there (writeFileWhole).
  const publicPath = `${privatePath}.pub`;
  if (!existsSync(publicPath)) {
    const [type, blob] = (await $({ quiet: true })`ssh-keygen -y -f ${privatePath}`).stdout.trim().split(/\s+/);
    await writeFileWhole(publicPath, `${type} ${blob} root@${name}\n`);
  }
  const [type, blob] = (await readFile(publicPath, 'utf8')).trim().split(/\s+/);
  return { privatePath, publicKey: `${type} ${blob}` };
}
