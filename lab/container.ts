// Container lab Pis: systemd as PID 1 in a systemd-nspawn container per host, each in its own
// network namespace (reached from here over a veth pair) and on its own copy-on-write overlay of
// the cached image, so every `up` starts from a clean Pi.
//
// Host N: netns camfleet-labN, veth cflN (here, 10.213.N.1/24) <-> cflNp (inside, 10.213.N.2/24).
// Other kinds booted the same way (the arm64 lab Pis, lab/arm64.ts) bring their own names, network
// and image (a NspawnKind), so neither kind's up or down touches the other's Pis.
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { copyFile, chmod, chown, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { $ } from 'zx';
import { containerRecipe, ensureImage, ensureVariant, firstBootVariant, type ImageLayer, type ImageRecipe, type ImageVariant } from './image.ts';
import { labHostKey } from './host-keys.ts';
import { processTreeMemory, alive, signal, waitFor } from './processes.ts';
import { sshBanner } from './ssh-banner.ts';
import { ensureOperatorKey, labDir, labSet, registerHosts, registeredHosts, unregisterHosts, type LabHost, type LabKind } from './state.ts';

/** What sets one kind of nspawn lab Pi apart from another. */
export interface NspawnKind {
  kind: LabKind;
  /** Host N is named `${prefix}N`; its netns is camfleet-<name>. */
  prefix: string;
  /** Its veth pair: `${veth}N` here, `${veth}Np` inside. */
  veth: string;
  /** Its network: host N at 10.<octet>.N.2, this machine at 10.<octet>.N.1. */
  octet: number;
  /** Its run directories live in .lab/<dir>/. */
  dir: string;
  recipe: ImageRecipe;
  bootTimeoutMs: number;
  /** Its systemd cannot be shut down by nspawn's SIGTERM (emulated): kill it straight away. */
  killToStop?: boolean;
  /** Extra fields for each host's inventory entry. */
  inventory?: Record<string, unknown>;
  /** Files written into each lab Pi's root at every boot (path in it -> text): lab-only fixes that need no image rebuild. */
  bootFiles?: Record<string, string>;
  /** Makes this machine able to build and boot it (arm64: qemu-user-static in binfmt_misc). */
  prepare?: (log: (line: string) => void) => Promise<void>;
  /**
   * Boots like a freshly flashed card: the lab gives it no hostname, host key or authorized key
   * (its first boot takes them from the boot folder bound at /boot/firmware), and it is not put in
   * the lab inventory, whose known_hosts could not name its key.
   */
  firstBoot?: { variant: ImageVariant };
}

export const containerKind: NspawnKind = { kind: 'container', prefix: 'lab', veth: 'cfl', octet: 213, dir: 'containers', recipe: containerRecipe, bootTimeoutMs: 90_000 };

/** Lab Pis booted from a card bootstrap wrote (boot1..N at 10.217.N.2): cloud-init, nothing of the lab's. */
export const firstBootKind: NspawnKind = {
  kind: 'first-boot',
  prefix: 'boot',
  veth: 'cfb',
  // 10.213: container lab Pis, 10.214: arm64 ones.
  octet: 217,
  dir: 'first-boot',
  recipe: containerRecipe,
  bootTimeoutMs: 180_000,
  firstBoot: { variant: firstBootVariant },
};

export interface ContainerUpOptions {
  hosts: number;
  /** `base`: a fresh Pi (default). `ready`: camfleet's packages already installed. */
  layer?: ImageLayer;
  log?: (line: string) => void;
  /** Default: container lab Pis (lab1..N). */
  kind?: NspawnKind;
  /** A kind with firstBoot: host N's boot partition, bound at /boot/firmware (bootFolders[N-1]). */
  bootFolders?: readonly string[];
  /** Up means sshd answers (default), or, for a Pi with no host key yet, that its systemd finished starting. */
  until?: 'ssh' | 'started';
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

export const hostName = (n: number, k = containerKind): string => `${k.prefix}${n}`;
const netns = (n: number, k: NspawnKind): string => `camfleet-${hostName(n, k)}`;
const vethHere = (n: number, k: NspawnKind): string => `${k.veth}${n}`;
const vethThere = (n: number, k: NspawnKind): string => `${k.veth}${n}p`;
export const hostAddress = (n: number, k = containerKind): string => `10.${k.octet}.${n}.2`;
const labNetwork = (k: NspawnKind): string => `10.${k.octet}.0.0/16`;
const cgroupName = (n: number, k: NspawnKind): string => `camfleet-lab${labSet ? `-${labSet}` : ''}/${hostName(n, k)}`;
const runDir = (n: number, k: NspawnKind): string => join(labDir, k.dir, hostName(n, k));
/** Host N's number from its name, or NaN when the name is not of this kind. */
const hostNumber = (name: string, k: NspawnKind): number => Number(new RegExp(`^${k.prefix}(\\d+)$`).exec(name)?.[1] ?? NaN);

/** Boot N container lab Pis (replacing any left from before) and register them in the lab inventory. */
export async function containerUp(options: ContainerUpOptions): Promise<LabHost[]> {
  const log = options.log ?? (() => {});
  const layer = options.layer ?? 'base';
  const k = options.kind ?? containerKind;
  if (!(options.hosts >= 1 && options.hosts <= 200)) throw new Error(`--hosts must be between 1 and 200, got ${options.hosts}`);
  if (process.getuid?.() !== 0) throw new Error('container lab Pis need root (network namespaces, overlay mounts, systemd-nspawn): run with sudo');
  await k.prepare?.(log);
  if (k.firstBoot && options.bootFolders?.length !== options.hosts) throw new Error(`${k.kind} lab Pis boot from bootstrap's folders: give one per host`);
  const image = k.firstBoot ? await ensureVariant(k.firstBoot.variant, log, k.recipe) : await ensureImage(layer, log, k.recipe);
  await containerDown(log, k); // a crashed run leaves namespaces and mounts: clear them first
  // Lab addresses never leave this machine: without a lab Pi behind it, an address is dropped here
  // instead of following the default route out.
  await sqn`ip route replace blackhole ${labNetwork(k)}`;
  await ensureInotifyInstances(options.hosts, log);
  const operator = await ensureOperatorKey();
  const numbers = Array.from({ length: options.hosts }, (_, i) => i + 1);
  log(`booting ${options.hosts} ${k.kind} lab Pi(s) from the ${k.firstBoot ? k.firstBoot.variant.name : layer} image (${image.cached ? 'cached' : 'just built'})`);
  const hosts: LabHost[] = [];
  try {
    // Boot them all at once, then wait: systemd's start-up overlaps across containers.
    const started = await Promise.all(numbers.map((n) => boot(n, k, image.rootfs, operator.publicKey, { network: true, bootFolder: options.bootFolders?.[n - 1] })));
    for (const s of started) {
      const bootToSshMs = options.until === 'started' ? await waitForStart(s.n, k, s.startedAt, s.pid) : await waitForSsh(s.n, k, s.startedAt, s.pid);
      await writeFile(join(runDir(s.n, k), 'run.json'), JSON.stringify({ pid: s.pid, layer, bootToSshMs } satisfies RunRecord));
      const inventory = k.inventory ? { inventory: k.inventory } : {};
      hosts.push({ name: hostName(s.n, k), kind: k.kind, address: hostAddress(s.n, k), sshPort: 22, hostKey: s.hostKey, ...inventory });
      log(`${hostName(s.n, k)} up at ${hostAddress(s.n, k)} (ssh after ${(bootToSshMs / 1000).toFixed(1)} s)`);
    }
  } catch (e) {
    await containerDown(log, k);
    throw e;
  }
  if (!k.firstBoot) await registerHosts(k.kind, hosts);
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

async function boot(n: number, k: NspawnKind, lower: string, operatorKey: string, o: { network: boolean; bootFolder?: string } = { network: true }) {
  const dir = runDir(n, k);
  const merged = join(dir, 'root');
  await mkdir(join(dir, 'upper'), { recursive: true });
  await mkdir(join(dir, 'work'), { recursive: true });
  await mkdir(merged, { recursive: true });
  await sq`mount -t overlay overlay -o ${`lowerdir=${lower},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`} ${merged}`;

  const key = k.firstBoot ? { publicKey: '' } : await giveIdentity(n, k, merged, operatorKey);
  const bind = o.bootFolder ? [`--bind=${o.bootFolder}:/boot/firmware`] : [];
  for (const [path, text] of Object.entries(k.bootFiles ?? {})) {
    await mkdir(dirname(join(merged, path)), { recursive: true });
    await writeFile(join(merged, path), text);
  }
  // The network namespace and its veth pair (kept from before when booting again).
  if (o.network) await addNetwork(n, k);

  const consoleLog = openSync(join(dir, 'console.log'), 'a');
  const startedAt = performance.now();
  // Each container gets a cgroup of its own before nspawn starts: without systemd on this machine
  // nspawn leaves the container in its caller's cgroup, and containers booted side by side then
  // fight over it (early units failing with 219/CGROUP, now and then).
  const ownCgroup = [
    'for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do',
    '  [ -e "$h/cgroup.procs" ] || continue',
    `  mkdir -p "$h/${cgroupName(n, k)}" && echo $$ > "$h/${cgroupName(n, k)}/cgroup.procs" || true`,
    'done',
    'exec systemd-nspawn "$@"',
  ].join('\n');
  const child = spawn(
    'sh',
    ['-c', ownCgroup, 'sh', '-q', '-D', merged, '-b', '--register=no', '--keep-unit', `--machine=${hostName(n, k)}`, `--network-namespace-path=/run/netns/${netns(n, k)}`, ...bind],
    { detached: true, stdio: ['ignore', consoleLog, consoleLog] },
  );
  closeSync(consoleLog);
  child.unref();
  if (!child.pid) throw new Error(`${hostName(n, k)}: systemd-nspawn did not start`);
  await writeFile(join(dir, 'pid'), `${child.pid}\n`);
  return { n, pid: child.pid, startedAt, hostKey: key.publicKey };
}

/** Identity, as a lab Pi gets it: hostname, the fixed host key, the operator's key. */
async function giveIdentity(n: number, k: NspawnKind, merged: string, operatorKey: string): Promise<{ publicKey: string }> {
  const key = await labHostKey(hostName(n, k));
  await writeFile(join(merged, 'etc/hostname'), `${hostName(n, k)}\n`);
  // sudo resolves the host's own name; Debian puts it on 127.0.1.1.
  await writeFile(join(merged, 'etc/hosts'), `127.0.0.1\tlocalhost\n127.0.1.1\t${hostName(n, k)}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  await copyFile(key.privatePath, join(merged, 'etc/ssh/ssh_host_ed25519_key'));
  await chmod(join(merged, 'etc/ssh/ssh_host_ed25519_key'), 0o600);
  await copyFile(`${key.privatePath}.pub`, join(merged, 'etc/ssh/ssh_host_ed25519_key.pub'));
  const authorized = join(merged, 'home/pi/.ssh/authorized_keys');
  await writeFile(authorized, `${operatorKey}\n`, { mode: 0o600 });
  const pi = await piIds(merged);
  await chown(authorized, pi.uid, pi.gid);
  return { publicKey: key.publicKey };
}

async function addNetwork(n: number, k: NspawnKind): Promise<void> {
  const ns = netns(n, k);
  await sq`ip netns add ${ns}`;
  await sq`ip link add ${vethHere(n, k)} type veth peer name ${vethThere(n, k)} netns ${ns}`;
  await sq`ip addr add ${`10.${k.octet}.${n}.1/24`} dev ${vethHere(n, k)}`;
  await sq`ip link set ${vethHere(n, k)} up`;
  await sq`ip netns exec ${ns} ip addr add ${`${hostAddress(n, k)}/24`} dev ${vethThere(n, k)}`;
  await sq`ip netns exec ${ns} ip link set ${vethThere(n, k)} up`;
  await sq`ip netns exec ${ns} ip link set lo up`;
  // Lab Pis reach one another through this machine (a camera relaying to a lab origin): forwarding
  // is switched on for the lab's own veths only, never machine-wide.
  await sq`ip netns exec ${ns} ip route add ${labNetwork(k)} via ${`10.${k.octet}.${n}.1`}`;
  await writeFile(`/proc/sys/net/ipv4/conf/${vethHere(n, k)}/forwarding`, '1\n');
}

async function piIds(root: string): Promise<{ uid: number; gid: number }> {
  const line = (await readFile(join(root, 'etc/passwd'), 'utf8')).split('\n').find((l) => l.startsWith('pi:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new Error('the lab image has no pi user; rebuild it (npm run lab -- build --force)');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Wait until sshd answers with its banner; the lab Pi is then reachable for camfleet. */
async function waitForSsh(n: number, k: NspawnKind, startedAt: number, pid: number): Promise<number> {
  await waitFor(
    async () => {
      if (!alive(pid)) {
        const tail = (await readFile(join(runDir(n, k), 'console.log'), 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
        throw new Error(`${hostName(n, k)}: systemd-nspawn exited during boot:\n${tail}`);
      }
      return sshBanner(hostAddress(n, k), 22);
    },
    { timeoutMs: k.bootTimeoutMs, intervalMs: k.bootTimeoutMs > 90_000 ? 1000 : 200, what: `${hostName(n, k)}: sshd at ${hostAddress(n, k)}:22 (console: ${join(runDir(n, k), 'console.log')})` },
  );
  return Math.round(performance.now() - startedAt);
}

/** Wait until the lab Pi's systemd has finished starting (whatever state it reached). */
async function waitForStart(n: number, k: NspawnKind, startedAt: number, pid: number): Promise<number> {
  const name = hostName(n, k);
  let init = 0;
  await waitFor(
    async () => {
      if (!alive(pid)) throw new Error(`${name}: systemd-nspawn exited during boot (console: ${join(runDir(n, k), 'console.log')})`);
      init = await containerInit(name, k).catch(() => 0);
      return init > 0;
    },
    { timeoutMs: k.bootTimeoutMs, what: `${name}'s init` },
  );
  // Until systemd listens on its bus, systemctl says "offline" at once rather than waiting: asked
  // again until it names the state its start ended in.
  await waitFor(
    async () => {
      const state = (await sqn`timeout ${Math.round(k.bootTimeoutMs / 1000)} nsenter -t ${init} -a systemctl is-system-running --wait`).stdout.trim();
      return ['running', 'degraded', 'maintenance'].includes(state);
    },
    { timeoutMs: k.bootTimeoutMs, what: `${name}'s systemd to finish starting` },
  );
  return Math.round(performance.now() - startedAt);
}

/** Stop every lab Pi of a kind and remove its namespace, mounts and layer. Safe to run twice. */
export async function containerDown(log: (line: string) => void = () => {}, k = containerKind): Promise<void> {
  const numbers = new Set<number>();
  const add = (name: string) => Number.isInteger(hostNumber(name, k)) && numbers.add(hostNumber(name, k));
  for (const h of await registeredHosts(k.kind)) add(h.name);
  // Also whatever a crashed run left: run dirs and namespaces by name.
  for (const d of await sqn`ls ${join(labDir, k.dir)}`.then((o) => o.stdout.split('\n'))) add(d.trim());
  for (const line of (await sqn`ip netns list`).stdout.split('\n')) add(/^camfleet-(\S+)/.exec(line.trim())?.[1] ?? '');
  for (const o of await orphanedLabInits(k)) add(o.name);
  await Promise.all([...numbers].map((n) => stopOne(n, k, log)));
  await rm(join(labDir, k.dir), { recursive: true, force: true });
  await sqn`ip route delete blackhole ${labNetwork(k)}`;
  await unregisterHosts(k.kind);
}

/** Power one lab Pi off (it stays in the lab inventory, now unreachable: for failure tests). */
export async function containerStop(name: string): Promise<void> {
  // Its namespace stays: the address still leads to the lab network, where nothing answers.
  await stopOne(labNumber(name), containerKind, () => {}, { keepNetwork: true });
}

/**
 * Cut a lab Pi's power: every process in it (its init, sshd, whatever step a run had going) is
 * SIGKILLed at once, the moment this is called, wherever it was (mid-write included); no shutdown
 * runs. Its disk, the overlay's upper layer, stays for containerBoot. (This machine's page cache
 * survives, so writes that a real Pi would lose unsynced are kept: this cuts processes, not the
 * disk cache.)
 *
 * With cgroup v2 (cgroup.kill) the cut is one write to the lab Pi's own cgroup: nothing in it runs
 * on between the call and the cut. Without it, its init is found among this machine's processes
 * first, and the cut lands after that search (tens to hundreds of milliseconds later).
 */
export async function containerPowerCut(name: string): Promise<void> {
  const n = labNumber(name);
  const cgroup = killCgroup(n, containerKind);
  if (cgroup) {
    await waitFor(async () => /^populated 0$/m.test(await readFile(join(cgroup, 'cgroup.events'), 'utf8').catch(() => 'populated 0')), {
      timeoutMs: 10_000,
      what: `${name}'s processes to end after its power was cut`,
    });
  } else {
    for (const init of await labInits(name)) signal(init, 'SIGKILL');
  }
  await stopOne(n, containerKind, () => {}, { keepNetwork: true });
}

/**
 * Freeze every process of a running lab Pi where it stands (cgroup v2's cgroup.freeze), or thaw
 * them: frozen, nothing in it runs (not its init, not sshd, not a step a run started, not a
 * service systemd would restart) until thawed, while this machine can still look at it and signal
 * it (SIGKILL ends a frozen process). Resolves once the kernel reports the whole lab Pi frozen
 * (or running again).
 */
export async function containerFreeze(name: string, frozen: boolean): Promise<void> {
  const cgroup = cgroupV2(labNumber(name), containerKind);
  if (!cgroup) throw new Error(`${name}: cannot freeze it: this machine has no cgroup v2 freezer (cgroup.freeze) for its cgroup ${cgroupName(labNumber(name), containerKind)}`);
  writeFileSync(join(cgroup, 'cgroup.freeze'), frozen ? '1\n' : '0\n');
  await waitFor(async () => new RegExp(`^frozen ${frozen ? 1 : 0}$`, 'm').test(await readFile(join(cgroup, 'cgroup.events'), 'utf8')), {
    timeoutMs: 10_000,
    intervalMs: 10,
    what: `${name} to be ${frozen ? 'frozen' : 'thawed'}`,
  });
}

/** The directory of a lab Pi's disk as this machine sees it while it runs (its overlay, mounted). */
export function containerRoot(name: string): string {
  return join(runDir(labNumber(name), containerKind), 'root');
}

/** Boot a lab Pi that was stopped or lost power again, on the disk it had; resolves once sshd answers. */
export async function containerBoot(name: string): Promise<void> {
  const n = labNumber(name);
  const k = containerKind;
  const run = JSON.parse(await readFile(join(runDir(n, k), 'run.json'), 'utf8')) as RunRecord;
  if (alive(run.pid)) throw new Error(`${name} is running`);
  const image = await ensureImage(run.layer, undefined, k.recipe);
  const operator = await ensureOperatorKey();
  const started = await boot(n, k, image.rootfs, operator.publicKey, { network: !existsSync(`/run/netns/${netns(n, k)}`) });
  const bootToSshMs = await waitForSsh(n, k, started.startedAt, started.pid);
  await writeFile(join(runDir(n, k), 'run.json'), JSON.stringify({ pid: started.pid, layer: run.layer, bootToSshMs } satisfies RunRecord));
}

/** Cut (or mend) a lab Pi's network link, as a pulled cable or a lost Wi-Fi would: its veth goes down here. */
export async function containerLink(name: string, up: boolean): Promise<void> {
  await sq`ip link set ${vethHere(labNumber(name), containerKind)} ${up ? 'up' : 'down'}`;
}

function labNumber(name: string): number {
  const n = hostNumber(name, containerKind);
  if (!Number.isInteger(n)) throw new Error(`not a container lab Pi: ${name}`);
  return n;
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

async function stopOne(n: number, k: NspawnKind, log: (line: string) => void, o: { keepNetwork?: boolean } = {}): Promise<void> {
  const name = hostName(n, k);
  // The pid file, or, when another checkout (or a lost .lab) started it, the process by its machine name.
  const recorded = await recordedNspawn(n, k);
  const pids = recorded && alive(recorded) ? [recorded] : await nspawnPids(name);
  for (const pid of pids) {
    // SIGTERM makes nspawn power the container off in order; SIGKILL if that takes too long, or
    // at once when its systemd would only drop to emergency mode (emulated: the overlay is thrown
    // away anyway).
    if (!k.killToStop) signal(pid, 'SIGTERM');
    const stopped = !k.killToStop && (await waitFor(async () => !alive(pid), { timeoutMs: 10_000, what: '', quiet: true }));
    if (!stopped) {
      await sqn`pkill -KILL -P ${pid}`;
      signal(pid, 'SIGKILL');
      await waitFor(async () => !alive(pid), { timeoutMs: 5000, what: '', quiet: true });
    }
    log(`${name} stopped`);
  }
  // An nspawn killed hard leaves its container running without it: end that PID namespace too.
  for (const init of await orphanedInits(name, k)) {
    signal(init, 'SIGKILL');
    await waitFor(async () => !alive(init), { timeoutMs: 5000, what: `${name}'s init to exit` });
  }
  for (const mount of await overlayMounts(name, k)) await sq`umount ${mount}`;
  await removeCgroups(n, k);
  if (o.keepNetwork) return;
  await sqn`ip netns delete ${netns(n, k)}`;
  await sqn`ip link delete ${vethHere(n, k)}`;
}

/**
 * Host N's cgroup in the cgroup v2 hierarchy (holding cgroup.freeze and cgroup.kill), or undefined
 * without one: /sys/fs/cgroup/unified on a hybrid machine, /sys/fs/cgroup on a unified one. boot()
 * puts its nspawn there, so the container's every process is in it or below it.
 */
function cgroupV2(n: number, k: NspawnKind): string | undefined {
  return ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].map((h) => `${h}/${cgroupName(n, k)}`).find((d) => existsSync(join(d, 'cgroup.freeze')));
}

/**
 * SIGKILL every process in lab Pi N's cgroup v2 subtree at once (cgroup.kill); the cgroup it wrote
 * to, or undefined where this machine has no cgroup.kill.
 */
function killCgroup(n: number, k: NspawnKind): string | undefined {
  const cgroup = cgroupV2(n, k);
  if (!cgroup || !existsSync(join(cgroup, 'cgroup.kill'))) return undefined;
  writeFileSync(join(cgroup, 'cgroup.kill'), '1\n');
  return cgroup;
}

/**
 * The container's cgroups, gone: a lab Pi booted under this name next must not share them with
 * what is left of this one. Its last processes leave a moment after nspawn exits; any still there
 * after that (a stopped container's stragglers under load) are killed through cgroup v2's
 * cgroup.kill, and if even then the cgroups cannot go, the stop fails, naming what is left.
 */
async function removeCgroups(n: number, k: NspawnKind): Promise<void> {
  const dirs = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified', '/sys/fs/cgroup'].map((h) => `${h}/${cgroupName(n, k)}`).filter((d) => existsSync(d));
  if (!dirs.length) return;
  // Innermost first (systemd inside made its own below ours): find -delete goes depth-first.
  const gone = (timeoutMs: number) =>
    waitFor(
      async () => {
        await sqn`find ${dirs} -type d -delete`;
        return dirs.every((d) => !existsSync(d));
      },
      { timeoutMs, what: '', quiet: true },
    );
  if (await gone(5000)) return;
  killCgroup(n, k);
  if (await gone(5000)) return;
  const left = await sqn`find ${dirs} -name cgroup.procs -exec cat {} +`;
  throw new Error(`${hostName(n, k)} stopped, but its cgroups ${dirs.join(', ')} still hold processes ${left.stdout.trim().split('\n').join(' ') || '(none listed)'}: a lab Pi booted under this name would share them`);
}

/** The PID of the nspawn this checkout started for lab Pi N, as boot() recorded it; 0 when none was. */
async function recordedNspawn(n: number, k: NspawnKind): Promise<number> {
  return Number((await readFile(join(runDir(n, k), 'pid'), 'utf8').catch(() => '')).trim()) || 0;
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
async function orphanedInits(name: string, k: NspawnKind): Promise<number[]> {
  return (await orphanedLabInits(k)).filter((o) => o.name === name).map((o) => o.pid);
}

/** Containers of lab Pis of a kind running without their systemd-nspawn (it was killed hard). */
export async function orphanedLabInits(k = containerKind): Promise<{ pid: number; name: string }[]> {
  const found: { pid: number; name: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    const nspid = /^NSpid:\s+(.+)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];
    const ppid = /^PPid:\s+(\d+)$/m.exec(status)?.[1];
    if (nspid.length < 2 || nspid.at(-1) !== '1' || ppid !== '1') continue;
    const hostname = (await readFile(`/proc/${entry}/root/etc/hostname`, 'utf8').catch(() => '')).trim();
    if (Number.isInteger(hostNumber(hostname, k))) found.push({ pid: Number(entry), name: hostname });
  }
  return found;
}

/** Where the lab Pi `name`'s overlay is mounted (any checkout's .lab). */
async function overlayMounts(name: string, k: NspawnKind): Promise<string[]> {
  const mounts = await readFile('/proc/mounts', 'utf8');
  return mounts
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.endsWith(`/${k.dir}/${name}/root`));
}

export async function containerStatus(k = containerKind): Promise<ContainerHostStatus[]> {
  const out: ContainerHostStatus[] = [];
  for (const h of await registeredHosts(k.kind)) {
    const n = hostNumber(h.name, k);
    const run = JSON.parse(await readFile(join(runDir(n, k), 'run.json'), 'utf8').catch(() => '{}')) as Partial<RunRecord>;
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

/**
 * PID 1 of a running lab Pi of a kind, as this machine numbers it: found among the processes of
 * its own cgroup (boot() puts it there), so it is found whatever the Pi's hostname is by then.
 */
export async function containerInit(name: string, k = containerKind): Promise<number> {
  const n = hostNumber(name, k);
  const cgroup = cgroupV2(n, k);
  if (!cgroup) throw new Error(`${name}: no cgroup v2 directory for it`);
  // A container of the same name stopped just before may still be dying in this cgroup, its own
  // init among these: under load CI saw nsenter land in that one ("Failed to connect to bus"). The
  // one wanted is the child of the nspawn this checkout started, when it recorded one.
  const nspawn = await recordedNspawn(n, k);
  const procs = (await sq`find ${cgroup} -name cgroup.procs -exec cat {} +`).stdout.split('\n').filter(Boolean);
  for (const pid of procs) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const nspid = /^NSpid:\s+(.+)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];
    const parent = /^PPid:\s+(\d+)$/m.exec(status)?.[1];
    if (nspid.length >= 2 && nspid.at(-1) === '1' && (!nspawn || Number(parent) === nspawn)) return Number(pid);
  }
  throw new Error(`${name}: its init was not found in ${cgroup}`);
}
