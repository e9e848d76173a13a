// The VM lab Pi (issue 8, VM kind): qemu running Debian's own kernel gives a real V4L2 camera and
// two simulated Wi-Fi radios, reached over SSH with strict host-key checking; `down` leaves nothing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDir, labKnownHosts, registeredHosts, type LabHost } from '../lab/state.ts';
import * as vm from '../lab/vm/index.ts';
import type * as VmApi from '../lab/vm-api.ts';
import { onHost } from './support/lab.ts';
import { vmUnavailable } from './support/vm.ts';

// The module keeps the contract the lab CLI relies on.
const api: Pick<typeof VmApi, 'buildVmImage' | 'vmUp' | 'vmDown' | 'vmStatus'> = vm;

const why = vmUnavailable();
if (why) console.warn(`skipping VM lab Pi tests: ${why}`);

const qemuProcesses = (): string[] =>
  execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes('qemu-system') && l.includes('camfleet-vm1'));

describe.skipIf(!!why)('the VM lab Pi', () => {
  let host: LabHost;

  beforeAll(async () => {
    const image = await api.buildVmImage({ log: (l) => console.log(l) });
    console.log(`vm image: ${image.cached ? 'cached' : 'built'}, build took ${(image.ms / 1000).toFixed(0)} s`);
    host = await api.vmUp({ log: (l) => console.log(l) });
  });
  afterAll(async () => {
    if (!why) await api.vmDown();
  });

  it('boots and answers SSH with strict host-key checking; systemd is up', async () => {
    expect(host).toMatchObject({ name: 'vm1', kind: 'vm', address: '127.0.0.1' });
    expect(execFileSync('cat', [labKnownHosts], { encoding: 'utf8' })).toContain(`[127.0.0.1]:${host.sshPort} ${host.hostKey}`);
    expect((await registeredHosts('vm')).map((h) => h.name)).toEqual(['vm1']);
    const state = onHost(host, 'systemctl is-system-running --wait || systemctl --failed --no-legend').trim();
    expect(state).toBe('running');
    const status = await api.vmStatus();
    expect(status).toMatchObject({ running: true, sshPort: host.sshPort });
    console.log(`vm1: boot-to-SSH ${((status.bootToSshMs ?? 0) / 1000).toFixed(1)} s, qemu RSS ${status.memMiB} MiB`);
  });

  it('has a V4L2 camera at /dev/video0 that ffmpeg reads frames from', () => {
    const out = onHost(host, 'ffmpeg -hide_banner -nostats -f v4l2 -i /dev/video0 -frames:v 5 -f null - 2>&1');
    expect(out).toMatch(/Input #0, video4linux2/);
    expect(out).toMatch(/frame=\s*5\b/);
  });

  it('has two simulated Wi-Fi radios', () => {
    const out = onHost(host, '/usr/sbin/iw dev');
    expect(out.match(/^phy#\d+/gm)).toHaveLength(2);
    expect(out).toMatch(/Interface wlan0/);
    expect(out).toMatch(/Interface wlan1/);
  });

  it('a second up finds it running instead of booting another', async () => {
    const before = await api.vmStatus();
    const again = await api.vmUp();
    expect(again.sshPort).toBe(host.sshPort);
    expect((await api.vmStatus()).pid).toBe(before.pid);
  });

  it('after a crash (qemu killed), the next up cleans up and boots a fresh, clean VM', { timeout: 300_000 }, async () => {
    onHost(host, 'touch /home/pi/left-by-the-crashed-run');
    const crashed = (await api.vmStatus()).pid;
    process.kill(crashed ?? 0, 'SIGKILL');
    host = await api.vmUp();
    const status = await api.vmStatus();
    expect(status.running).toBe(true);
    expect(status.pid).not.toBe(crashed);
    expect(onHost(host, 'ls /home/pi')).not.toContain('left-by-the-crashed-run');
    expect(qemuProcesses()).toHaveLength(1);
  });

  it('down leaves no qemu process, overlay or registration behind', async () => {
    await api.vmDown();
    expect(qemuProcesses()).toEqual([]);
    expect(existsSync(join(labDir, 'vm'))).toBe(false);
    expect(await registeredHosts('vm')).toEqual([]);
    expect(await api.vmStatus()).toEqual({ running: false });
  });
});
