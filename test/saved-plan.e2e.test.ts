// A saved plan is the whole contract (issue 13): `provision --check --plan-out FILE` on a fresh lab
// Pi, then `provision --apply-plan FILE` applies exactly that plan; a plan the Pi has moved away
// from since (a hand edit) is refused with exit 2, saying what moved, and nothing is applied.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerDown, containerUp } from '../lab/container.ts';
import type { LabHost } from '../lab/state.ts';
import { camfleet } from './support/cli.ts';
import { labUnavailable, mainPid, onHost, waitForStream, writeInventory } from './support/lab.ts';

const why = labUnavailable();
if (why) console.warn(`skipping saved-plan end-to-end tests: ${why}`);

describe.skipIf(!!why)('a saved plan, applied later', () => {
  let pi: LabHost;
  let inventory: string;
  const dir = mkdtempSync(join(tmpdir(), 'camfleet-plans-'));
  const provision = (...args: string[]) => camfleet(['provision', '--inventory', inventory, ...args]);

  beforeAll(async () => {
    [pi] = (await containerUp({ hosts: 1, layer: 'base' })) as [LabHost];
    // A secret stream key: the saved plan holds it (in the stream-key file it writes).
    inventory = writeInventory([pi], (doc) => {
      doc.hosts.lab1 = { ...doc.hosts.lab1, stream: { key: { env: 'LAB_STREAM_KEY' } } };
    });
    process.env.LAB_STREAM_KEY = 'secretKey42';
  });
  afterAll(async () => {
    delete process.env.LAB_STREAM_KEY;
    if (!why) await containerDown();
  });

  it('--check --plan-out saves the plan privately, and --apply-plan applies exactly it', async () => {
    const planFile = join(dir, 'fresh.json');
    const check = await provision('--host', pi.name, '--check', '--plan-out', planFile);
    expect(check.code).toBe(3);
    expect(check.stderr).toMatch(/saved the plan of 1 of 1 host\(s\) to .*fresh\.json, mode 0600: .*secrets included/);
    expect(statSync(planFile).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(planFile, 'utf8')) as { note: string; hosts: { plan: { steps: { kind: string; path?: string; file?: { content: string } }[] } }[] };
    expect(saved.note).toMatch(/secrets included/);
    const steps = saved.hosts[0]!.plan.steps;
    expect(steps.find((s) => s.path === '/etc/camfleet/stream-key')?.file?.content).toContain('secretKey42');
    expect(onHost(pi, 'test -e /etc/camfleet/streamer.json && echo yes || echo no').trim()).toBe('no'); // --check changed nothing

    // The inventory changes after the plan was made: the saved plan still applies as saved.
    inventory = writeInventory([pi], (doc) => {
      doc.hosts.lab1 = { ...doc.hosts.lab1, stream: { key: { env: 'LAB_STREAM_KEY' } }, camera: { bitrate: '700k' } };
    });
    const apply = await provision('--apply-plan', planFile);
    expect(apply.stdout + apply.stderr).not.toMatch(/failed|stale/);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toMatch(/lab1 +changed/);
    expect(onHost(pi, 'sudo cat /etc/camfleet/streamer.json')).not.toContain('700000'); // the plan's bitrate, not today's inventory's
    await waitForStream(`rtmp://${pi.address}:1935/live/secretKey42`);
    const status = await camfleet(['status', '--inventory', inventory, '--host', pi.name, '--json']);
    expect((JSON.parse(status.stdout) as { live: boolean; nginx: string }[])[0]).toMatchObject({ live: true, nginx: 'active' });
  });

  it('a plan the Pi has moved away from since is refused, exit 2, naming what moved; nothing is applied', async () => {
    // The inventory's bitrate change is pending: a plan to rewrite streamer.json and restart the
    // streamer, and only it (camfleet-webrtc takes the new encode's RTP as a new stream).
    const planFile = join(dir, 'stale.json');
    expect((await provision('--host', pi.name, '--check', '--plan-out', planFile)).code).toBe(3);
    const steps = (JSON.parse(readFileSync(planFile, 'utf8')) as { hosts: { plan: { steps: { kind: string; unit?: string }[] } }[] }).hosts[0]!.plan.steps;
    expect(steps.map((s) => `${s.kind} ${s.unit ?? ''}`.trim())).toEqual([
      'lock',
      'write-file',
      'write-file', // the config version (parts/metrics.ts)
      'commit-files',
      'restart camfleet-streamer.service',
      'clear-pending',
      'verify',
      'health-gate',
    ]);

    // Someone tunes nginx.conf by hand on the Pi after the plan was made.
    onHost(pi, `echo '# tuned by hand' | sudo tee -a /etc/nginx/nginx.conf >/dev/null`);
    const streamer = { pid: mainPid(pi, 'camfleet-streamer'), config: onHost(pi, 'sudo sha256sum /etc/camfleet/streamer.json') };
    const refused = await provision('--apply-plan', planFile);
    expect(refused.code).toBe(2);
    expect(refused.stdout + refused.stderr).toMatch(/lab1 +stale/);
    expect(refused.stdout + refused.stderr).toMatch(/file \/etc\/nginx\/nginx\.conf: content changed/);
    expect({ pid: mainPid(pi, 'camfleet-streamer'), config: onHost(pi, 'sudo sha256sum /etc/camfleet/streamer.json') }).toEqual(streamer);
    expect(onHost(pi, 'tail -1 /etc/nginx/nginx.conf').trim()).toBe('# tuned by hand');

    // A plan made now sees the edit, and applies.
    const fresh = join(dir, 'again.json');
    expect((await provision('--host', pi.name, '--check', '--plan-out', fresh)).code).toBe(3);
    expect((await provision('--apply-plan', fresh)).code).toBe(0);
    expect((await provision('--host', pi.name, '--check')).code).toBe(0);
  });

  it('refuses a file that is not a saved plan, and --apply-plan with a host selection, before touching a host (exit 2)', async () => {
    const bogus = join(dir, 'bogus.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bogus, '{"kind": "something else"}');
    const r = await provision('--apply-plan', bogus);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a plan saved by camfleet/);
    const both = await provision('--apply-plan', join(dir, 'again.json'), '--host', pi.name);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--apply-plan takes its hosts and files from the plan: drop --host/);
  });
});
