// The VM lab Pi: qemu boots Debian's kernel from the cached image, on a qcow2 overlay that is thrown
// away at `down` (every `up` starts clean; only vmPowerOn boots again from the disk a power cut
// left). User-mode networking, reachable only through loopback
// port forwards for SSH, RTMP and HTTP; `restrict=on` keeps the guest from reaching anything else
// (everything it needs is pre-installed in the image).
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { $ } from 'zx';
import { alive, freePort, signal, waitFor } from '../processes.ts';
import { sshBanner } from '../ssh-banner.ts';
import { ensureOperatorKey, labDir, registerHosts, registeredHosts, unregisterHosts, type LabHost } from '../state.ts';
import { vmName } from './host.ts';
import { buildVmImage, vmImagePaths, type VmOptions } from './image.ts';

const runDir = join(labDir, 'vm');
const pidFile = join(runDir, 'qemu.pid');
const runFile = join(runDir, 'run.json');
const overlay = join(runDir, 'overlay.qcow2');
export const vmConsoleLog = join(runDir, 'console.log');

/** Loopback ports forwarded into the VM, and how the last boot went. */
export interface VmRun {
  pid: number;
  sshPort: number;
  rtmpPort: number;
  httpPort: number;
  bootToSshMs: number;
}

/**
 * What the VM lab Pi brings to its inventory entry: its camera, small and light for emulation. At
 * 10 fps: emulated libx264 is most of what keeps the VM's two cores busy, and at 15 fps a busy
 * machine left too little for the rest (CI saw provisions run past five minutes).
 */
export const vmInventory = {
  camera: { device: '/dev/video0', inputFormat: 'yuyv422', resolution: '320x180', fps: 10, bitrate: '300k', encoder: 'libx264' },
};

const sqn = $({ quiet: true, nothrow: true });

/** Boot the VM lab Pi (or find it running), wait for its sshd, and register it as `vm1`. */
export async function vmUp(o: VmOptions = {}): Promise<LabHost> {
  const log = o.log ?? (() => {});
  if (process.getuid?.() !== 0) throw new Error('the VM lab Pi needs root (its image is built with debootstrap): run with sudo');
  if (!(await sqn`command -v qemu-system-x86_64`).ok) throw new Error('qemu-system-x86_64 is missing: apt-get install qemu-system-x86 qemu-utils');
  const image = await vmImagePaths();
  const running = await currentRun();
  if (running && (await sshBanner('127.0.0.1', running.sshPort, 2000))) {
    log(`${vmName} already running (pid ${running.pid}, ssh on 127.0.0.1:${running.sshPort})`);
    return register(running, image.hostKey);
  }
  await vmDown(); // whatever a crashed run left: its qemu, overlay and registration

  const built = await buildVmImage(o);
  if (!built.cached) log(`vm image built in ${(built.ms / 1000).toFixed(0)} s`);
  const operator = await ensureOperatorKey();
  await mkdir(runDir, { recursive: true });
  const authorized = join(runDir, 'authorized_keys');
  await writeFile(authorized, `${operator.publicKey}\n`);
  await $({ quiet: true })`qemu-img create -q -f qcow2 -F raw -b ${image.rootfs} ${overlay}`;

  const ports = { sshPort: await freePort(), rtmpPort: await freePort(), httpPort: await freePort() };
  log(`booting ${vmName} under qemu (TCG emulation: about a minute)`);
  try {
    return register(await startQemu(ports, image, authorized, log), image.hostKey);
  } catch (e) {
    await vmDown();
    throw e;
  }
}

/**
 * A power cut: qemu killed with SIGKILL. The guest's memory goes with it, its page cache too, as
 * on a Pi whose plug is pulled; its disk (the overlay) stays, for vmPowerOn. Returns the host's
 * clock (ms) just after the kill.
 */
export async function vmPowerCut(): Promise<number> {
  const pid = await qemuPid();
  if (!pid) throw new Error(`${vmName} is not running: nothing to power-cut`);
  signal(pid, 'SIGKILL');
  const at = Date.now();
  await waitFor(async () => !alive(pid), { timeoutMs: 5000, what: `qemu ${pid} to die` });
  return at;
}

/**
 * Boot the VM lab Pi again from the disk a power cut left (vmPowerCut), on the same ports and host
 * key, so its SSH registration holds. qemu-img checks the overlay first: a power cut may leak
 * clusters (harmless), never corrupt it.
 */
export async function vmPowerOn(o: VmOptions = {}): Promise<LabHost> {
  const log = o.log ?? (() => {});
  const last = existsSync(runFile) ? (JSON.parse(await readFile(runFile, 'utf8')) as VmRun) : undefined;
  if (!last || !existsSync(overlay)) throw new Error(`${vmName} has no disk to boot again: vmUp first`);
  if (await qemuPid()) throw new Error(`${vmName} is running: vmPowerCut first`);
  // qemu-img check: 0 clean, 3 leaked clusters only; 2 is corruption.
  const check = await sqn`qemu-img check -q -f qcow2 ${overlay}`;
  if (check.exitCode !== 0 && check.exitCode !== 3) throw new Error(`${vmName}: the overlay is corrupt after the power cut (qemu-img check exit ${check.exitCode}):\n${check.stdout}${check.stderr}`);
  log(`booting ${vmName} again from the same disk (qemu-img check: ${check.exitCode === 0 ? 'clean' : 'leaked clusters only'})`);
  const image = await vmImagePaths();
  return register(await startQemu(last, image, join(runDir, 'authorized_keys'), log), image.hostKey);
}

/** Start qemu on the overlay with these port forwards, wait for its sshd, and record the run. */
async function startQemu(
  ports: Pick<VmRun, 'sshPort' | 'rtmpPort' | 'httpPort'>,
  image: Awaited<ReturnType<typeof vmImagePaths>>,
  authorized: string,
  log: (line: string) => void,
): Promise<VmRun> {
  const { sshPort, rtmpPort, httpPort } = ports;
  const forwards = [`tcp:127.0.0.1:${sshPort}-:22`, `tcp:127.0.0.1:${rtmpPort}-:1935`, `tcp:127.0.0.1:${httpPort}-:8080`];
  const nic = ['user', 'model=virtio-net-pci', 'restrict=on', ...forwards.map((f) => `hostfwd=${f}`)].join(',');
  const startedAt = performance.now();
  // No KVM probe: on these machines nested KVM hangs the guest kernel right after decompression
  // (../shared/LAB-NOTES.md), and a hang only shows as a timeout. CAMFLEET_VM_ACCEL=kvm tries it.
  const accel = process.env.CAMFLEET_VM_ACCEL === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,tb-size=256', '-cpu', 'max'];
  const qemuArgs = [
    '-name', `camfleet-${vmName}`, ...accel, '-smp', '2', '-m', '1024',
    '-kernel', image.kernel, '-initrd', image.initrd,
    '-append', 'root=/dev/vda rw console=ttyS0 net.ifnames=0 mitigations=off systemd.show_status=false',
    // cache=unsafe skips only the host's fsync: on every guest flush qemu still writes its qcow2
    // metadata and data into the file (block/io.c, bdrv_co_flush: "Write back cached data to the
    // OS even with cache=unsafe"). A qemu kill leaves the host's page cache, so the overlay then
    // holds what the guest flushed, and the guest's own page cache is lost: an honest power cut.
    '-drive', `file=${overlay},if=virtio,format=qcow2,cache=unsafe`,
    '-nic', nic,
    '-device', 'virtio-rng-pci',
    '-fw_cfg', `name=opt/camfleet/authorized_keys,file=${authorized}`,
    '-display', 'none', '-monitor', 'none', '-serial', `file:${vmConsoleLog}`,
    // A guest that panics stops instead of rebooting in a loop; qemu returns once the VM runs.
    '-no-reboot', '-daemonize', '-pidfile', pidFile,
  ];
  await $({ quiet: true })`qemu-system-x86_64 ${qemuArgs}`;
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  await waitFor(
    async () => {
      if (!alive(pid)) throw new Error(`${vmName}: qemu exited during boot; the end of ${vmConsoleLog}:\n${await consoleTail()}`);
      return sshBanner('127.0.0.1', sshPort, 2000);
    },
    { timeoutMs: 300_000, intervalMs: 1000, what: `${vmName}: sshd on 127.0.0.1:${sshPort} (console: ${vmConsoleLog})` },
  );
  const run: VmRun = { pid, sshPort, rtmpPort, httpPort, bootToSshMs: Math.round(performance.now() - startedAt) };
  await writeFile(runFile, `${JSON.stringify(run)}\n`);
  log(`${vmName} up: ssh on 127.0.0.1:${sshPort} after ${(run.bootToSshMs / 1000).toFixed(1)} s`);
  return run;
}

async function register(run: VmRun, hostKey: string): Promise<LabHost> {
  const host: LabHost = { name: vmName, kind: 'vm', address: '127.0.0.1', sshPort: run.sshPort, hostKey, inventory: vmInventory };
  await registerHosts('vm', [host]);
  return host;
}

/** Stop the VM lab Pi: no qemu left, overlay gone, unregistered. Safe to run twice. */
export async function vmDown(): Promise<void> {
  // The pid file's qemu, or, when the pid file is lost, qemu found by its name and overlay.
  const recorded = await qemuPid();
  for (const pid of recorded ? [recorded] : await qemuPidsByName()) {
    // The overlay is thrown away, so there is nothing to shut down cleanly: qemu exits on SIGTERM.
    signal(pid, 'SIGTERM');
    if (!(await waitFor(async () => !alive(pid), { timeoutMs: 10_000, what: '', quiet: true }))) {
      signal(pid, 'SIGKILL');
      await waitFor(async () => !alive(pid), { timeoutMs: 5000, what: `qemu ${pid} to exit` });
    }
  }
  await rm(runDir, { recursive: true, force: true });
  if ((await registeredHosts('vm')).length) await unregisterHosts('vm');
}

export async function vmStatus(): Promise<{ running: boolean; pid?: number; sshPort?: number; memMiB?: number; bootToSshMs?: number }> {
  const run = await currentRun();
  if (!run) return { running: false };
  // The guest's memory lives in qemu's address space: its resident set is what the VM costs.
  const status = await readFile(`/proc/${run.pid}/status`, 'utf8').catch(() => '');
  const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  return { running: true, pid: run.pid, sshPort: run.sshPort, memMiB: Math.round(rssKiB / 1024), bootToSshMs: run.bootToSshMs };
}

/** The forwarded ports of the running VM, for tests that reach its RTMP server from here. */
export async function vmRun(): Promise<VmRun | undefined> {
  return currentRun();
}

async function currentRun(): Promise<VmRun | undefined> {
  if (!existsSync(runFile)) return undefined;
  const run = JSON.parse(await readFile(runFile, 'utf8')) as VmRun;
  return (await qemuPid()) === run.pid ? run : undefined;
}

/** The PID in the pid file, if that process is still our qemu (PIDs get reused after a crash). */
async function qemuPid(): Promise<number | undefined> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!pid || !alive(pid)) return undefined;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.includes(`camfleet-${vmName}`) ? pid : undefined;
}

/**
 * qemu running a VM lab Pi that is ours to stop: booted from this lab dir's overlay, or orphaned
 * (its overlay is gone: a lost .lab). Another checkout's live VM is left alone: its ports are its
 * own, so it does not collide with ours.
 */
async function qemuPidsByName(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const args = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (!args[0]?.includes('qemu-system') || !args.includes(`camfleet-${vmName}`)) continue;
    const disk = /^file=([^,]+),/.exec(args.find((a) => a.startsWith('file=')) ?? '')?.[1];
    if (!disk || disk === overlay || !existsSync(disk)) pids.push(Number(entry));
  }
  return pids;
}

async function consoleTail(): Promise<string> {
  return (await readFile(vmConsoleLog, 'utf8').catch(() => '')).split('\n').slice(-20).join('\n');
}
