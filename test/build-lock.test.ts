// The lab's image cache is shared by every checkout on a machine: two builds of one image must not
// overlap (each deletes a half-built folder it finds), and a lock left by a dead builder is taken over.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withBuildLock } from '../lab/build-lock.ts';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('withBuildLock', () => {
  it('runs two builds of one target one after the other, and tells the second it waits', async () => {
    const target = join(mkdtempSync(join(tmpdir(), 'camfleet-lock-')), 'image');
    const events: string[] = [];
    const said: string[] = [];
    const build = (name: string) => async () => {
      events.push(`${name} start`);
      await pause(1500);
      events.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([withBuildLock(target, (l) => said.push(l), build('a')), withBuildLock(target, (l) => said.push(l), build('b'))]);
    expect(results).toEqual(['a', 'b']);
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end']);
    expect(said).toEqual([`waiting for another build of ${target} (pid ${process.pid})`]);
  });

  it('takes over a lock whose owner is gone', async () => {
    const target = join(mkdtempSync(join(tmpdir(), 'camfleet-lock-')), 'image');
    mkdirSync(`${target}.lock`);
    writeFileSync(join(`${target}.lock`, 'pid'), '2147483646'); // no such process
    const said: string[] = [];
    expect(await withBuildLock(target, (l) => said.push(l), async () => 'built')).toBe('built');
    expect(said).toEqual([]);
  });
});
