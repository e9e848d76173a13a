// A local file replaced whole: whoever reads it meanwhile (ssh reading known_hosts, Prometheus
// watching its targets, a card pulled out mid-write, another lab lane) finds the old file or the
// new one, never half of one.
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Write `path` whole: a new temp file beside it (the same filesystem, so the rename is atomic),
 * created with `mode` (0600 keeps a secret from others from its first byte), then renamed over
 * it. On failure the temp file goes and `path` stays as it was.
 */
export async function writeFileWhole(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(3).toString('hex')}.camfleet-tmp`);
  try {
    await writeFile(temp, data, { mode, flag: 'wx' });
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}
