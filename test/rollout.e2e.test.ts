// Fleet rollout and fleet status against three container lab Pis (booted with camfleet's packages
// already installed: this is about the rollout, the fresh install is provision.e2e's).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerDown, containerStop, containerUp } from '../lab/container.ts';
import type { LabHost } from '../lab/state.ts';
import { camfleet } from './support/cli.ts';
import { labUnavailable, onHost, waitForStream, writeInventory, type Edit } from './support/lab.ts';

interface Report {
  exitCode: number;
  hosts: { host: string; outcome: string; plan: { changes: number } | null; error: string | null }[];
}
const outcomes = (stdout: string) =>
  Object.fromEntries((JSON.parse(stdout) as Report).hosts.map((h) => [h.host, { outcome: h.outcome, changes: h.plan?.changes ?? null }]));

const why = labUnavailable();
if (why) console.warn(`skipping rollout end-to-end tests: ${why}`);

describe.skipIf(!!why)('fleet rollout and status on 3 lab Pis', () => {
  let hosts: LabHost[];
  let inventory: string;
  const provision = (...args: string[]) => camfleet(['provision', '--inventory', inventory, ...args]);
  const status = (...args: string[]) => camfleet(['status', '--inventory', inventory, ...args]);
  const byName = (name: string) => hosts.find((h) => h.name === name)!;
  // A change to every Pi's nginx.conf (the RTMP statistics port), so each one validates a new config.
  const newStatPort = (port: number): Edit => (doc) => {
    doc.defaults.stream = { statPort: port };
  };

  beforeAll(async () => {
    hosts = await containerUp({ hosts: 3, layer: 'ready' });
    inventory = writeInventory(hosts);
  });
  afterAll(async () => {
    if (!why) await containerDown();
  });

  it('converges all three; a second rollout reports 0 changes on each', async () => {
    const first = await provision('--all', '--json');
    expect(first.code).toBe(0);
    expect(outcomes(first.stdout)).toMatchObject({ lab1: { outcome: 'changed' }, lab2: { outcome: 'changed' }, lab3: { outcome: 'changed' } });
    const second = await provision('--all', '--json');
    expect(second.code).toBe(0);
    expect(outcomes(second.stdout)).toEqual({
      lab1: { outcome: 'ok', changes: 0 },
      lab2: { outcome: 'ok', changes: 0 },
      lab3: { outcome: 'ok', changes: 0 },
    });
  });

  it('status shows each live stream, and marks a Pi whose streamer is stopped', async () => {
    for (const h of hosts) await waitForStream(`rtmp://${h.address}:1935/live/cam`);
    const live = await status('--all');
    expect(live.code).toBe(0);
    for (const name of ['lab1', 'lab2', 'lab3']) expect(live.stdout).toMatch(new RegExp(`^${name} +lavfi testsrc2 +active +active +LIVE +640x360@15`, 'm'));
    onHost(byName('lab2'), 'sudo systemctl stop camfleet-streamer');
    const one = await status('--all');
    expect(one.code).toBe(1);
    expect(one.stdout).toMatch(/^lab2 +lavfi testsrc2 +active +inactive +down .*streamer stopped/m);
    expect(one.stdout).toMatch(/^lab1 .*LIVE/m);
    // A rollout puts it back: the plan starts what should be running.
    expect((await provision('--host', 'lab2')).code).toBe(0);
    expect(onHost(byName('lab2'), 'systemctl is-active camfleet-streamer').trim()).toBe('active');
  });

  it('--canary 1 --max-failures 0 with a failing canary starts no other host', async () => {
    // lab1 gets a broken include, so any new nginx.conf fails nginx -t there.
    onHost(byName('lab1'), `echo 'this is not nginx;' | sudo tee /etc/nginx/conf.d/broken.conf >/dev/null`);
    const before = onHost(byName('lab2'), 'sha256sum /etc/nginx/nginx.conf');
    inventory = writeInventory(hosts, newStatPort(8081));
    const r = await provision('--all', '--canary', '1', '--max-failures', '0', '--json');
    expect(r.code).toBe(1);
    expect(outcomes(r.stdout)).toMatchObject({ lab1: { outcome: 'failed' }, lab2: { outcome: 'skipped' }, lab3: { outcome: 'skipped' } });
    expect(onHost(byName('lab2'), 'sha256sum /etc/nginx/nginx.conf')).toBe(before);
  });

  it('with one Pi unreachable and one failing validation, the others converge and the summary names both', async () => {
    await containerStop('lab3');
    const r = await provision('--all', '--connect-timeout', '3');
    expect(r.code).toBe(5); // failed and unreachable
    expect(r.stdout).toMatch(/^lab1 +failed .*nginx\.conf.*/m);
    expect(r.stdout).toMatch(/^lab2 +changed/m);
    expect(r.stdout).toMatch(/^lab3 +unreachable +.*(timed out|refused|unreachable|EHOSTUNREACH|ETIMEDOUT)/im);
    expect(r.stderr + r.stdout).toMatch(/unknown directive "this"/);
    expect(onHost(byName('lab2'), 'grep -c "listen 127.0.0.1:8081\\|listen 8081" /etc/nginx/nginx.conf').trim()).not.toBe('0');
  });
});
