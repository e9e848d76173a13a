// writeFileWhole: the one way camfleet replaces a local file (plan files, known_hosts, a card's
// files, Prometheus targets, clips, the lab's records).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileWhole } from '../provision/transport/whole-file.ts';

const scratch = () => mkdtempSync(join(tmpdir(), 'camfleet-whole-file-'));

describe('writeFileWhole', () => {
  it('writes a new file with the mode asked for, and leaves nothing else beside it', async () => {
    const dir = scratch();
    await writeFileWhole(join(dir, 'secret'), 'key\n', 0o600);
    expect(readFileSync(join(dir, 'secret'), 'utf8')).toBe('key\n');
    expect(statSync(join(dir, 'secret')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['secret']);
  });

  it('replaces a file by a new one (a reader holding the old one keeps it whole), mode and all', async () => {
    const dir = scratch();
    const path = join(dir, 'targets.json');
    writeFileSync(path, 'old', { mode: 0o600 });
    const before = statSync(path).ino;
    await writeFileWhole(path, Buffer.from('new'));
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(statSync(path).ino).not.toBe(before);
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['targets.json']);
  });

  it('on failure leaves the target as it was and no temp file', async () => {
    const dir = scratch();
    const target = join(dir, 'taken');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'kept');
    await expect(writeFileWhole(target, 'x')).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('kept');
    await expect(writeFileWhole(join(dir, 'missing', 'file'), 'x')).rejects.toThrow(/ENOENT/);
  });
});
