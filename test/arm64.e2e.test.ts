// Provisioning proven on the Pi's own architecture: a fresh arm64 lab Pi (Debian bookworm arm64 under
// qemu-user-static, shaped like Raspberry Pi OS lite) taken from nothing to streaming, a second run
// changing nothing, and `encoder: auto` falling back to libx264 with its reason in the journal.
// Emulated, so slow (minutes): it runs in CI; CAMFLEET_SKIP_ARM64=1 skips it locally, loudly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arm64Down, arm64Up } from '../lab/arm64.ts';
import type { LabHost } from '../lab/state.ts';
import { camfleet, run } from './support/cli.ts';
import { labUnavailable, onHost, provisionAgainChangesNothing, provisionFresh, writeInventory } from './support/lab.ts';
import { arm64Unavailable } from './support/arm64.ts';

const why = labUnavailable() ?? arm64Unavailable();
if (why) console.warn(`\n*** SKIPPING the arm64 end-to-end test: ${why} ***\n`);

const minutes = (n: number): number => n * 60_000;

describe.skipIf(!!why)('an arm64 lab Pi (Raspberry Pi OS-like, emulated) provisioned end to end', () => {
  let pi: LabHost;
  let inventory: string;
  const provision = (...args: string[]) => camfleet(['provision', '--inventory', inventory, '--host', pi.name, ...args], { timeoutMs: minutes(25) });

  beforeAll(async () => {
    [pi] = (await arm64Up({ hosts: 1, log: (l) => console.log(`lab: ${l}`) })) as [LabHost];
    inventory = writeInventory([pi]);
  }, minutes(20));
  afterAll(async () => {
    if (!why) await arm64Down();
  }, minutes(2));

  it('is arm64 and looks like Raspberry Pi OS lite: pi with passwordless sudo, NetworkManager, config.txt', () => {
    expect(pi).toMatchObject({ name: 'arm1', kind: 'arm64', address: '10.214.1.2' });
    const facts = onHost(pi, [
      'dpkg --print-architecture', 'uname -m', 'hostname', 'sudo -n id -u',
      "dpkg-query -W -f '${Package} ${db:Status-Status}\\n' network-manager",
      'test -s /boot/firmware/config.txt && echo config.txt',
      'systemctl is-system-running --wait || systemctl --failed --no-legend --plain',
    ].join('; ')).trim();
    // NetworkManager is installed but cannot run under qemu-user (no generic netlink): lab/arm64.ts.
    expect(facts.split('\n')).toEqual(['arm64', 'aarch64', 'arm1', '0', 'network-manager installed', 'config.txt', 'running']);
    // Nothing of camfleet's is installed yet; its packages wait in apt's cache (no internet here).
    expect(onHost(pi, "dpkg-query -W -f '${db:Status-Status}\\n' nginx ffmpeg nodejs 2>/dev/null || true")).not.toMatch(/^installed$/m);
    expect(onHost(pi, 'ls /var/cache/apt/archives')).toMatch(/ffmpeg_[^\s]*_arm64\.deb/);
  });

  it('takes the fresh arm64 Pi to streaming: nginx-rtmp listening, streamer active, probe reads H.264 here', async () => {
    await provisionFresh(pi, provision);
    // npm run probe, as an operator runs it, from this machine. Emulated ffmpeg needs a while to publish.
    let probe = { code: null as number | null, stdout: '', stderr: '' };
    const deadline = Date.now() + minutes(3);
    do {
      probe = await run(process.execPath, ['--import', 'tsx', 'client/cli.ts', 'probe', '--inventory', inventory, '--host', pi.name, '--seconds', '3', '--timeout', '30', '--json']);
    } while (probe.code !== 0 && Date.now() < deadline);
    expect(probe.code).toBe(0);
    expect(JSON.parse(probe.stdout)).toMatchObject({ codec: 'h264', width: 320, height: 180 });
  }, minutes(30));

  it('encoder auto: no hardware encoder under emulation, so libx264, with the reason in the journal', () => {
    const journal = onHost(pi, 'sudo journalctl -u camfleet-streamer --no-pager -o cat');
    expect(journal).toMatch(/h264_v4l2m2m unavailable \(.+\): using libx264/);
    expect(onHost(pi, 'pgrep -a ffmpeg')).toContain('libx264');
  });

  it('a second run reports 0 changes and restarts nothing', () => provisionAgainChangesNothing(pi, provision), minutes(5));
});
