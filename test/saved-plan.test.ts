// A saved plan without a Pi: what counts as the host having moved, and the file it is saved in.
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPlanFile, writePlanFile } from '../provision/converge/plan-file.ts';
import { observeQuery } from '../provision/facts/observe/script.ts';
import { whatMoved } from '../provision/core/plan/moved.ts';
import { makePlan } from '../provision/core/plan/plan.ts';
import { convergedObservation, freshObservation, render } from './support/fleet.ts';

const [desired] = render('hosts:\n  pi1: { address: 10.0.0.1, stream: { key: { env: KEY } } }\n', { KEY: 'secretKey42' });

describe('what moved on a host since its plan was made', () => {
  const before = convergedObservation(desired!);

  it('nothing, when only a service restarted (its process id is not state the plan depends on)', () => {
    const after = structuredClone(before);
    after.units['nginx.service']!.mainPid = 4242;
    expect(whatMoved(before, after)).toEqual([]);
  });

  it('names each changed file, package and unit', () => {
    const after = structuredClone(before);
    after.files['/etc/nginx/nginx.conf']!.sha256 = '0'.repeat(64);
    after.files['/etc/camfleet/stream-key']!.mode = 0o644;
    after.packages.ffmpeg = false;
    after.units['camfleet-streamer.service']!.active = 'failed';
    expect(whatMoved(before, after)).toEqual([
      'package ffmpeg: installed -> not installed',
      'file /etc/camfleet/stream-key: mode 600 -> 644',
      'file /etc/nginx/nginx.conf: content changed',
      'unit camfleet-streamer.service: enabled/active -> enabled/failed',
    ]);
  });

  it('a file that appeared or went away', () => {
    const fresh = freshObservation(desired!);
    const after = structuredClone(fresh);
    after.files['/etc/nginx/nginx.conf'] = before.files['/etc/nginx/nginx.conf']!;
    expect(whatMoved(fresh, after)).toEqual(['file /etc/nginx/nginx.conf: appeared']);
    expect(whatMoved(after, fresh)).toEqual(['file /etc/nginx/nginx.conf: was removed']);
  });
});

describe('the plan file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'camfleet-planfile-'));
  const observed = freshObservation(desired!);
  const saved = { host: 'pi1', address: '10.0.0.1', plan: makePlan(desired!, observed), observe: observeQuery(desired!), observed };

  it('is written for its owner only, holds the files whole, and reads back the same', async () => {
    const file = join(dir, 'plan.json');
    writeFileSync(file, 'an older, world-readable file', { mode: 0o644 });
    await writePlanFile(file, [saved], true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const back = await readPlanFile(file);
    expect(back.note).toMatch(/secrets included/);
    expect(back.hosts).toEqual([JSON.parse(JSON.stringify(saved))]);
    expect(JSON.stringify(back)).toContain('secretKey42');
  });

  it('refuses what is not one, saying why', async () => {
    const file = join(dir, 'other.json');
    writeFileSync(file, JSON.stringify({ kind: 'camfleet saved plan', version: 3, hosts: [{ host: 'pi1' }] }));
    await expect(readPlanFile(file)).rejects.toThrow(/hosts\[0\] is incomplete/);
    writeFileSync(file, '{');
    await expect(readPlanFile(file)).rejects.toThrow(/not JSON/);
  });
});
