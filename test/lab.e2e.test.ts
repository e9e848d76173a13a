// `npm run lab`: three container lab Pis booted by the CLI, reached with strict host-key
// checking, systemd running inside; `down` leaves nothing behind; a second `up` reuses the image.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { containerDown, containerKind, orphanedLabInits } from '../lab/container.ts';
import { registeredHosts } from '../lab/state.ts';
import { run } from './support/cli.ts';
import { labUnavailable, onHost, systemState } from './support/lab.ts';

const why = labUnavailable();
if (why) console.warn(`skipping lab tests: ${why}`);

const lab = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'lab/cli.ts', ...args]);
// The container kind's only: npm test runs the arm64 and first-boot Pis' tests meanwhile, and
// those Pis are not this test's to take down or count.
const down = () => lab('down', '--kind', 'container');
const leftovers = () => ({
  nspawn: execFileSync('sh', ['-c', 'pgrep -fc "^systemd-nspawn .*--machine=lab" || true'], { encoding: 'utf8' }).trim(),
  netns: execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith(`camfleet-${containerKind.prefix}`)),
  mounts: readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(`/.lab/${containerKind.dir}/`)),
});
const noLeftovers = { nspawn: '0', netns: [], mounts: [] };

describe.skipIf(!!why)('lab Pis', () => {
  afterAll(async () => {
    if (!why) await containerDown();
  });

  it('up --hosts 3 boots three Pis reachable over ssh with strict host keys, systemd running inside', async () => {
    const up = await lab('up', '--hosts', '3');
    expect(up.stderr).not.toMatch(/error/i);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('3 lab Pi(s) up');
    const hosts = await registeredHosts('container');
    expect(hosts.map((h) => h.name)).toEqual(['lab1', 'lab2', 'lab3']);
    for (const h of hosts) {
      // sshArgs sets StrictHostKeyChecking=yes against .lab/known_hosts: this fails if the key is not the recorded one.
      expect(systemState(h)).toBe('running');
      expect(onHost(h, 'hostname').trim()).toBe(h.name);
      expect(onHost(h, 'sudo -n id -u').trim()).toBe('0');
    }
    const status = JSON.parse((await lab('status', '--json')).stdout) as { container: { name: string; sshReachable: boolean; memMiB: number; bootToSshMs: number }[] };
    expect(status.container.map((c) => c.sshReachable)).toEqual([true, true, true]);
    for (const c of status.container) {
      expect(c.memMiB).toBeGreaterThan(1);
      expect(c.bootToSshMs).toBeGreaterThan(0);
    }
  });

  it('down leaves no nspawn process, namespace or mount; a second up reuses the cached image', async () => {
    const gone = await down();
    expect(gone.code).toBe(0);
    expect(leftovers()).toEqual(noLeftovers);
    expect(await registeredHosts('container')).toEqual([]);
    const again = await lab('up', '--hosts', '1');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/from the base image \(cached\)/);
    await down();
    expect(leftovers()).toEqual(noLeftovers);
  });

  it('a crashed run (nspawn killed, namespace and mount left) is cleaned up by the next up', async () => {
    await lab('up', '--hosts', '2');
    execFileSync('pkill', ['-KILL', '-f', '^systemd-nspawn .*--machine=lab']);
    const up = await lab('up', '--hosts', '2');
    expect(up.code).toBe(0);
    // The killed nspawns' containers are gone too, not left running without them.
    expect(await orphanedLabInits()).toEqual([]);
    const hosts = await registeredHosts('container');
    for (const h of hosts) expect(systemState(h)).toBe('running');
    await down();
    expect(leftovers()).toEqual(noLeftovers);
    expect(await orphanedLabInits()).toEqual([]);
  });
});
