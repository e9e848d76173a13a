// Container lab Pis: systemd as PID 1 in a systemd-nspawn container per host, each in its own
// network namespace (reached from here over a veth pair) and on its own copy-on-write overlay of
// the cached image, so every `up` starts from a clean Pi.
//
// Host N: netns camfleet-labN, veth cflN (here, 10.213.N.1/24) <-> cflNp (inside, 10.213.N.2/24).
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { copyFile, chmod, chown, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { $ } from 'zx';
import { ensureImage, type ImageLayer } from './image.ts';
import { processTreeMemory, alive, signal, waitFor } from './processes.ts';
import { sshBanner } from './ssh-banner.ts';
import { cacheDir, ensureOperatorKey, labDir, registerHosts, registeredHosts, unregisterHosts, type LabHost } from './state.ts';

export interface ContainerUpOptions {
  hosts: number;
  /** `base`: a fresh Pi (default). `ready`: camfleet's packages already installed. */
  layer?: ImageLayer;
  log?: (line: string) => void;
}

export interface ContainerHostStatus {
  name: string;
  address: string;
  running: boolean;
  pid?: number;
  sshReachable: boolean;
  memMiB?: number;
  bootToSshMs?: number;
}

interface RunRecord {
  pid: number;
  layer: ImageLayer;
  bootToSshMs: number;
}

const sq = $({ quiet: true });
const sqn = $({ quiet: true, nothrow: true });

export const hostName = (n: number): string => `lab${n}`;
const netns = (n: number): string => `camfleet-lab${n}`;
const vethHere = (n: number): string => `cfl${n}`;
const vethThere = (n: number): string => `cfl${n}p`;
export const hostAddress = (n: number): string => `10.213.${n}.2`;
const labNetwork = '10.213.0.0/16';
const cgroupName = (n: number): string => `camfleet-lab/${hostName(n)}`;
const runDir = (n: number): string => join(labDir, 'containers', hostName(n));

/** Boot N container lab Pis (replacing any left from before) and register them in the lab inventory. */
export async function containerUp(options: ContainerUpOptions): Promise<LabHost[]> {
  const log = options.log ?? (() => {});
  const layer = options.layer ?? 'base';
  if (!(options.hosts >= 1 && options.hosts <= 200)) throw new Error(`--hosts must be between 1 and 200, got ${options.hosts}`);
  if (process.getuid?.() !== 0) throw new Error('container lab Pis need root (network namespaces, overlay mounts, systemd-nspawn): run with sudo');
  const image = await ensureImage(layer, log);
  await containerDown(log); // a crashed run leaves namespaces and mounts: clear them first
  // Lab addresses never leave this machine: without a lab Pi behind it, an address is dropped here
  // instead of following the default route out.
  await sqn`ip route replace blackhole ${labNetwork}`;
  await ensureInotifyInstances(options.hosts, log);
  const operator = await ensureOperatorKey();
  const numbers = Array.from({ length: options.hosts }, (_, i) => i + 1);
  log(`booting ${options.hosts} container lab Pi(s) from the ${layer} image (${image.cached ? 'cached' : 'just built'})`);
  const hosts: LabHost[] = [];
  try {
    // Boot them all at once, then wait: systemd's start-up overlaps across containers.
    const started = await Promise.all(numbers.map((n) => boot(n, image.rootfs, operator.publicKey)));
    for (const s of started) {
      const bootToSshMs = await waitForSsh(s.n, s.startedAt, s.pid);
      await writeFile(join(runDir(s.n), 'run.json'), JSON.stringify({ pid: s.pid, layer, bootToSshMs } satisfies RunRecord));
      hosts.push({ name: hostName(s.n), kind: 'container', address: hostAddress(s.n), sshPort: 22, hostKey: s.hostKey });
      log(`${hostName(s.n)} up at ${hostAddress(s.n)} (ssh after ${(bootToSshMs / 1000).toFixed(1)} s)`);
    }
  } catch (e) {
    await containerDown(log);
    throw e;
  }
  await registerHosts('container', hosts);
  return hosts;
}

const inotifyLimit = '/proc/sys/fs/inotify/max_user_instances';

/**
 * The containers' systemd, logind and dbus all run as this machine's root and share its inotify
 * budget: 7 instances per lab Pi against Debian's default of 128. Past it, a container's systemd
 * cannot start and nspawn exits without a word (seen from 19 lab Pis on). Raised, never lowered.
 */
async function ensureInotifyInstances(hosts: number, log: (line: string) => void): Promise<void> {
  const wanted = 128 + 16 * hosts;
  const current = Number((await readFile(inotifyLimit, 'utf8').catch(() => '0')).trim());
  if (current >= wanted) return;
  try {
    await writeFile(inotifyLimit, `${wanted}\n`);
    log(`raised fs.inotify.max_user_instances from ${current} to ${wanted} for ${hosts} lab Pis`);
  } catch (e) {
    log(`cannot raise fs.inotify.max_user_instances (${current}; ${hosts} lab Pis want ${wanted}): ${(e as Error).message}`);
  }
}

async function boot(n: number, lower: string, operatorKey: string, o: { network: boolean } = { network: true }) {
  const dir = runDir(n);
  const merged = join(dir, 'root');
  await mkdir(join(dir, 'upper'), { recursive: true });
  await mkdir(join(dir, 'work'), { recursive: true });
  await mkdir(merged, { recursive: true });
  await sq`mount -t overlay overlay -o ${`lowerdir=${lower},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`} ${merged}`;

  // Identity: hostname, the fixed host key, the operator's key.
  const key = await hostKey(n);
  await writeFile(join(merged, 'etc/hostname'), `${hostName(n)}\n`);
  // sudo resolves the host's own name; Debian puts it on 127.0.1.1.
  await writeFile(join(merged, 'etc/hosts'), `127.0.0.1\tlocalhost\n127.0.1.1\t${hostName(n)}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  await copyFile(key.privatePath, join(merged, 'etc/ssh/ssh_host_ed25519_key'));
  await chmod(join(merged, 'etc/ssh/ssh_host_ed25519_key'), 0o600);
  await copyFile(`${key.privatePath}.pub`, join(merged, 'etc/ssh/ssh_host_ed25519_key.pub'));
  const authorized = join(merged, 'home/pi/.ssh/authorized_keys');
  await writeFile(authorized, `${operatorKey}\n`, { mode: 0o600 });
  const pi = await piIds(merged);
  await chown(authorized, pi.uid, pi.gid);

  // The network namespace and its veth pair (kept from before when booting again).
  if (o.network) await addNetwork(n);

  const consoleLog = openSync(join(dir, 'console.log'), 'a');
  const startedAt = performance.now();
  // Each container gets a cgroup of its own before nspawn starts: without systemd on this machine
  // nspawn leaves the container in its caller's cgroup, and containers booted side by side then
  // fight over it (early units failing with 219/CGROUP, now and then).
  const ownCgroup = [
    'for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do',
    '  [ -e "$h/cgroup.procs" ] || continue',
    `  mkdir -p "$h/${cgroupName(n)}" && echo $$ > "$h/${cgroupName(n)}/cgroup.procs" || true`,
    'done',
    'exec systemd-nspawn "$@"',
  ].join('\n');
  const child = spawn(
    'sh',
    ['-c', ownCgroup, 'sh', '-q', '-D', merged, '-b', '--register=no', '--keep-unit', `--machine=${hostName(n)}`, `--network-namespace-path=/run/netns/${netns(n)}`],
    { detached: true, stdio: ['ignore', consoleLog, consoleLog] },
  );
  closeSync(consoleLog);
  child.unref();
  if (!child.pid) throw new Error(`${hostName(n)}: systemd-nspawn did not start`);
  await writeFile(join(dir, 'pid'), `${child.pid}\n`);
  return { n, pid: child.pid, startedAt, hostKey: key.publicKey };
}

async function addNetwork(n: number): Promise<void> {
  await sq`ip netns add ${netns(n)}`;
  await sq`ip link add ${vethHere(n)} type veth peer name ${vethThere(n)} netns ${netns(n)}`;
  await sq`ip addr add ${`10.213.${n}.1/24`} dev ${vethHere(n)}`;
  await sq`ip link set ${vethHere(n)} up`;
  await sq`ip netns exec ${netns(n)} ip addr add ${`${hostAddress(n)}/24`} dev ${vethThere(n)}`;
  await sq`ip netns exec ${netns(n)} ip link set ${vethThere(n)} up`;
  await sq`ip netns exec ${netns(n)} ip link set lo up`;
  // Lab Pis reach one another through this machine (a camera relaying to a lab origin): forwarding
  // is switched on for the lab's own veths only, never machine-wide.
  await sq`ip netns exec ${netns(n)} ip route add ${labNetwork} via ${`10.213.${n}.1`}`;
  await writeFile(`/proc/sys/net/ipv4/conf/${vethHere(n)}/forwarding`, '1\n');
}

async function piIds(root: string): Promise<{ uid: number; gid: number }> {
  const line = (await readFile(join(root, 'etc/passwd'), 'utf8')).split('\n').find((l) => l.startsWith('pi:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new Error('the lab image has no pi user; rebuild it (npm run lab -- build --force)');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Lab Pi N's host key: made once and kept in the cache, so known_hosts stays valid across ups. */
async function hostKey(n: number): Promise<{ privatePath: string; publicKey: string }> {
  const dir = join(cacheDir, 'host-keys');
  const privatePath = join(dir, `${hostName(n)}_ed25519`);
  if (!existsSync(privatePath)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await sq`ssh-keygen -q -t ed25519 -N ${''} -C ${`root@${hostName(n)}`} -f ${privatePath}`;
  }
  const [type, blob] = (await readFile(`${privatePath}.pub`, 'utf8')).trim().split(/\s+/);
  return { privatePath, publicKey: `${type} ${blob}` };
}

/** Wait until sshd answers with its banner; the lab Pi is then reachable for camfleet. */
async function waitForSsh(n: number, startedAt: number, pid: number): Promise<number> {
  await waitFor(
    async () => {
      if (!alive(pid)) {
        const tail = (await readFile(join(runDir(n), 'console.log'), 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
        throw new Error(`${hostName(n)}: systemd-nspawn exited during boot:\n${tail}`);
      }
      return sshBanner(hostAddress(n), 22);
    },
    { timeoutMs: 90_000, what: `${hostName(n)}: sshd at ${hostAddress(n)}:22` },
  );
  return Math.round(performance.now() - startedAt);
}

/** Stop every container lab Pi and remove its namespace, mounts and layer. Safe to run twice. */
export async function containerDown(log: (line: string) => void = () => {}): Promise<void> {
  const numbers = new Set<number>();
  for (const h of await registeredHosts('container')) numbers.add(Number(h.name.replace(/^lab/, '')));
  // Also whatever a crashed run left: run dirs and namespaces by name.
  for (const d of await sqn`ls ${join(labDir, 'containers')}`.then((o) => o.stdout.split('\n'))) {
    const m = /^lab(\d+)$/.exec(d.trim());
    if (m) numbers.add(Number(m[1]));
  }
  for (const line of (await sqn`ip netns list`).stdout.split('\n')) {
    const m = /^camfleet-lab(\d+)\b/.exec(line.trim());
    if (m) numbers.add(Number(m[1]));
  }
  for (const o of await orphanedLabInits()) numbers.add(Number(o.name.slice('lab'.length)));
  await Promise.all([...numbers].map((n) => stopOne(n, log)));
  await rm(join(labDir, 'containers'), { recursive: true, force: true });
  await sqn`ip route delete blackhole ${labNetwork}`;
  await unregisterHosts('container');
}

/** Power one lab Pi off (it stays in the lab inventory, now unreachable: for failure tests). */
export async function containerStop(name: string): Promise<void> {
  // Its namespace stays: the address still leads to the lab network, where nothing answers.
  await stopOne(labNumber(name), () => {}, { keepNetwork: true });
}

/**
 * Cut a lab Pi's power: its init (PID 1 of its PID namespace) is SIGKILLed, so the kernel ends
 * every process in it at once, wherever it was (mid-write included); no shutdown runs. Its disk,
 * the overlay's upper layer, stays for containerBoot. (This machine's page cache survives, so
 * writes that a real Pi would lose unsynced are kept: this cuts processes, not the disk cache.)
 */
export async function containerPowerCut(name: string): Promise<void> {
  const n = labNumber(name);
  for (const init of await labInits(name)) signal(init, 'SIGKILL');
  await stopOne(n, () => {}, { keepNetwork: true });
}

/** Boot a lab Pi that was stopped or lost power again, on the disk it had; resolves once sshd answers. */
export async function containerBoot(name: string): Promise<void> {
  const n = labNumber(name);
  const run = JSON.parse(await readFile(join(runDir(n), 'run.json'), 'utf8')) as RunRecord;
  if (alive(run.pid)) throw new Error(`${name} is running`);
  const image = await ensureImage(run.layer);
  const operator = await ensureOperatorKey();
  const started = await boot(n, image.rootfs, operator.publicKey, { network: !existsSync(`/run/netns/${netns(n)}`) });
  const bootToSshMs = await waitForSsh(n, started.startedAt, started.pid);
  await writeFile(join(runDir(n), 'run.json'), JSON.stringify({ pid: started.pid, layer: run.layer, bootToSshMs } satisfies RunRecord));
}

/** Cut (or mend) a lab Pi's network link, as a pulled cable or a lost Wi-Fi would: its veth goes down here. */
export async function containerLink(name: string, up: boolean): Promise<void> {
  await sq`ip link set ${vethHere(labNumber(name))} ${up ? 'up' : 'down'}`;
}

function labNumber(name: string): number {
  const m = /^lab(\d+)$/.exec(name);
  if (!m) throw new Error(`not a container lab Pi: ${name}`);
  return Number(m[1]);
}

/** PID 1 of the lab Pi `name`'s PID namespace, as this machine numbers it. */
async function labInits(name: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    const nspid = /^NSpid:\s+(.+)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];
    if (nspid.length < 2 || nspid.at(-1) !== '1') continue;
    if ((await readFile(`/proc/${entry}/root/etc/hostname`, 'utf8').catch(() => '')).trim() === name) found.push(Number(entry));
  }
  return found;
}

async function stopOne(n: number, log: (line: string) => void, o: { keepNetwork?: boolean } = {}): Promise<void> {
  // The pid file, or, when another checkout (or a lost .lab) started it, the process by its machine name.
  const recorded = Number((await readFile(join(runDir(n), 'pid'), 'utf8').catch(() => '')).trim());
  const pids = recorded && alive(recorded) ? [recorded] : await nspawnPids(hostName(n));
  for (const pid of pids) {
    // SIGTERM makes nspawn power the container off in order; SIGKILL if that takes too long.
    signal(pid, 'SIGTERM');
    const stopped = await waitFor(async () => !alive(pid), { timeoutMs: 10_000, what: '', quiet: true });
    if (!stopped) {
      await sqn`pkill -KILL -P ${pid}`;
      signal(pid, 'SIGKILL');
      await waitFor(async () => !alive(pid), { timeoutMs: 5000, what: '', quiet: true });
    }
    log(`${hostName(n)} stopped`);
  }
  // An nspawn killed hard leaves its container running without it: end that PID namespace too.
  for (const init of await orphanedInits(hostName(n))) {
    signal(init, 'SIGKILL');
    await waitFor(async () => !alive(init), { timeoutMs: 5000, what: `${hostName(n)}'s init to exit` });
  }
  for (const mount of await overlayMounts(hostName(n))) await sq`umount ${mount}`;
  await removeCgroups(n);
  if (o.keepNetwork) return;
  await sqn`ip netns delete ${netns(n)}`;
  await sqn`ip link delete ${vethHere(n)}`;
}

/** The container's cgroups, innermost first (systemd inside made its own below ours). */
async function removeCgroups(n: number): Promise<void> {
  const dirs = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified', '/sys/fs/cgroup'].map((h) => `${h}/${cgroupName(n)}`).filter((d) => existsSync(d));
  if (!dirs.length) return;
  // The last processes of a stopped container leave its cgroups a moment after nspawn exits.
  await waitFor(
    async () => {
      await sqn`find ${dirs} -type d -delete`;
      return dirs.every((d) => !existsSync(d));
    },
    { timeoutMs: 5000, what: `${hostName(n)}'s cgroups to empty`, quiet: true },
  );
}

/** systemd-nspawn processes booting the lab Pi `name`, whoever started them. */
async function nspawnPids(name: string): Promise<number[]> {
  const found = await sqn`pgrep -f ${`^systemd-nspawn .*--machine=${name} `}`;
  return found.stdout.split('\n').filter(Boolean).map(Number);
}

/**
 * PID 1 of a container whose /etc/hostname says `name` and whose nspawn is gone: the kernel shows
 * it as a process whose NSpid ends in 1 (init of a nested PID namespace), parented to our init.
 */
async function orphanedInits(name: string): Promise<number[]> {
  return (await orphanedLabInits()).filter((o) => o.name === name).map((o) => o.pid);
}

/** Containers of lab Pis running without their systemd-nspawn (it was killed hard). */
export async function orphanedLabInits(): Promise<{ pid: number; name: string }[]> {
  const found: { pid: number; name: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    const nspid = /^NSpid:\s+(.+)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];
    const ppid = /^PPid:\s+(\d+)$/m.exec(status)?.[1];
    if (nspid.length < 2 || nspid.at(-1) !== '1' || ppid !== '1') continue;
    const hostname = (await readFile(`/proc/${entry}/root/etc/hostname`, 'utf8').catch(() => '')).trim();
    if (/^lab\d+$/.test(hostname)) found.push({ pid: Number(entry), name: hostname });
  }
  return found;
}

/** Where the lab Pi `name`'s overlay is mounted (any checkout's .lab). */
async function overlayMounts(name: string): Promise<string[]> {
  const mounts = await readFile('/proc/mounts', 'utf8');
  return mounts
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.endsWith(`/containers/${name}/root`));
}

export async function containerStatus(): Promise<ContainerHostStatus[]> {
  const out: ContainerHostStatus[] = [];
  for (const h of await registeredHosts('container')) {
    const n = Number(h.name.replace(/^lab/, ''));
    const run = JSON.parse(await readFile(join(runDir(n), 'run.json'), 'utf8').catch(() => '{}')) as Partial<RunRecord>;
    const running = !!run.pid && alive(run.pid);
    out.push({
      name: h.name,
      address: h.address,
      running,
      pid: run.pid,
      sshReachable: running && (await sshBanner(h.address, 22)),
      memMiB: running && run.pid ? (await processTreeMemory(run.pid)) / 1024 : undefined,
      bootToSshMs: run.bootToSshMs,
    });
  }
  return out;
}
