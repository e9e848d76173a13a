// The container lab Pi's image: Debian bookworm from Debian's own packages, shaped like Raspberry Pi
// OS lite (systemd, sshd, sudo, a `pi` user with passwordless sudo). Built once and cached; the
// cache key is a hash of this recipe, so changing the recipe rebuilds it.
//
// Two layers, both plain directories:
// - base: what a freshly flashed Pi has. camfleet's packages are downloaded into apt's cache but not
//   installed, so provisioning installs them through apt for real without the lab Pi needing the
//   internet (its network namespace has no route out).
// - ready: base with those packages installed, like a Pi camfleet has provisioned before. Fleet
//   tests and benchmarks that are about rollout, not apt, start from it.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { $ } from 'zx';
import { basePackages } from '../provision/core/parts/parts.ts';
import { withBuildLock } from './build-lock.ts';
import { cacheDir } from './state.ts';

export type ImageLayer = 'base' | 'ready';

const suite = 'bookworm';
export const include = ['systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'sudo', 'iproute2', 'ca-certificates', 'procps'];

/** dpkg settings for a root that only tests use (the lab images, npm test's pristine root). */
export const dpkgSpeedups = `# Lab speed-ups with no effect on what is tested: no docs, no fsync per file in dpkg.
printf 'path-exclude /usr/share/doc/*\\npath-exclude /usr/share/man/*\\npath-exclude /usr/share/locale/*\\n' > /etc/dpkg/dpkg.cfg.d/01-camfleet-lab-nodoc
echo force-unsafe-io > /etc/dpkg/dpkg.cfg.d/02-camfleet-lab-unsafe-io
`;

// Everything the image build does inside the chroot, as one script: the recipe the cache key hashes.
export const setupScript = `set -eu
export DEBIAN_FRONTEND=noninteractive
# Like Raspberry Pi OS: user pi, passwordless sudo.
useradd -m -s /bin/bash -G sudo,video pi
echo 'pi ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/010_pi-nopasswd
chmod 440 /etc/sudoers.d/010_pi-nopasswd
install -d -m 700 -o pi -g pi /home/pi/.ssh
# One host key per lab Pi, put in place at boot by the lab; no keys baked into the image.
rm -f /etc/ssh/ssh_host_*
cat > /etc/ssh/sshd_config.d/camfleet-lab.conf <<'CONF'
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
CONF
# Containers have no consoles to log in on, and nothing here needs the time synced.
systemctl mask getty@tty1.service console-getty.service systemd-timesyncd.service 2>/dev/null || true
${dpkgSpeedups}apt-get -q update
apt-get -q install -y --no-install-recommends --download-only ${basePackages.join(' ')}
`;

export const readyScript = `set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get -q install -y --no-install-recommends ${basePackages.join(' ')}
# A Pi that was provisioned before has its services running; here they start when the lab Pi boots.
`;

/**
 * A layer of its own on top of an image's base or ready layer, kept beside them and keyed by its
 * script (its folder is `<name>-<hash>`), so adding or changing one leaves the image's own cache
 * key, and every other lab Pi, alone.
 */
export interface ImageVariant {
  name: string;
  from: ImageLayer;
  script: string;
}

/**
 * A freshly flashed current Raspberry Pi OS card, as far as bootstrap's proof needs one: Debian's
 * cloud-init reading NoCloud seed files from the boot partition at /boot/firmware, and nobody to
 * log in as, no authorized key and no host key (the base layer's pi user, its sudoers entry, the
 * lab's sshd drop-in and every host key go). camfleet's packages stay in apt's cache, as in base.
 */
export const firstBootVariant: ImageVariant = {
  name: 'first-boot',
  from: 'base',
  script: `set -eu
export DEBIAN_FRONTEND=noninteractive
userdel -r pi
rm -f /etc/sudoers.d/010_pi-nopasswd /etc/ssh/sshd_config.d/camfleet-lab.conf /etc/ssh/ssh_host_*
echo raspberrypi > /etc/hostname
# The lists base downloaded its packages with, so their cached .debs stay the candidates.
apt-get -q install -y --no-install-recommends cloud-init tzdata
install -d /boot/firmware
# As Raspberry Pi OS: NoCloud only, its seed the boot partition.
cat > /etc/cloud/cloud.cfg.d/99-camfleet-lab-nocloud.cfg <<'CFG'
datasource_list: [NoCloud]
datasource:
  NoCloud:
    seedfrom: /boot/firmware/
CFG
# ds-identify finds no NoCloud disk label in a container: run cloud-init without looking.
echo 'policy: enabled' > /etc/cloud/ds-identify.cfg
rm -f /var/cache/apt/archives/cloud-init_*.deb
`,
};

/** Build (or find cached) a variant layer; its base or ready layer first. */
export async function ensureVariant(variant: ImageVariant, log: (line: string) => void = () => {}, recipe: ImageRecipe = containerRecipe): Promise<ImageInfo> {
  const from = await ensureImage(variant.from, log, recipe);
  const dir = recipeDir(recipe);
  const name = `${variant.name}-${createHash('sha256').update(JSON.stringify(variant)).digest('hex').slice(0, 12)}`;
  const rootfs = join(dir, name);
  const stamp = join(dir, `${name}.json`);
  const cachedInfo = async (): Promise<ImageInfo> => ({ layer: variant.from, rootfs, cached: true, buildMs: (JSON.parse(await readFile(stamp, 'utf8')) as { buildMs: number }).buildMs });
  if (existsSync(stamp) && existsSync(rootfs)) return cachedInfo();
  return withBuildLock(rootfs, log, async () => {
    if (existsSync(stamp) && existsSync(rootfs)) return cachedInfo();
    const start = performance.now();
    const partial = `${rootfs}.partial`;
    await rm(partial, { recursive: true, force: true });
    log(`copying the ${variant.from} image for the ${variant.name} layer`);
    await $({ quiet: true })`cp -a --reflink=auto ${from.rootfs} ${partial}`;
    await chrootScript(partial, variant.script, log, `building the ${variant.name} layer`);
    await rename(partial, rootfs);
    const buildMs = Math.round(performance.now() - start);
    await writeFile(stamp, `${JSON.stringify({ buildMs, builtAt: new Date().toISOString() })}\n`);
    log(`${recipe.name} image ${variant.name} layer built in ${(buildMs / 1000).toFixed(0)} s`);
    return { layer: variant.from, rootfs, cached: false, buildMs };
  });
}

/** One kind of image: its packages, its set-up, and its architecture when it is not this machine's. */
export interface ImageRecipe {
  /** Its cache directory is `<name>-<hash of the recipe>`. */
  name: string;
  /** A Debian architecture other than this machine's (debootstrap --arch; runs under qemu-user-static). */
  arch?: string;
  include: readonly string[];
  setupScript: string;
  readyScript: string;
}

export const containerRecipe: ImageRecipe = { name: 'container', include, setupScript, readyScript };

export function recipeId(r: ImageRecipe): string {
  const arch = r.arch ? { arch: r.arch } : {}; // absent for the container image: its key stays what it was
  return createHash('sha256').update(JSON.stringify({ suite, include: r.include, setupScript: r.setupScript, readyScript: r.readyScript, ...arch })).digest('hex').slice(0, 12);
}
export const recipeDir = (r: ImageRecipe): string => join(cacheDir, `${r.name}-${recipeId(r)}`);

export const imageId = recipeId(containerRecipe);
export const imageDir = recipeDir(containerRecipe);
export const layerDir = (layer: ImageLayer, r: ImageRecipe = containerRecipe): string => join(recipeDir(r), layer);

export interface ImageInfo {
  layer: ImageLayer;
  rootfs: string;
  cached: boolean;
  /** How long building it took (now, or when it was built). */
  buildMs: number;
}

/** The Debian mirror this machine's apt uses, so the image comes from the same place. */
async function debianMirror(): Promise<string> {
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(file)) continue;
    const text = await readFile(file, 'utf8');
    const m = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+\S+/m.exec(text);
    if (m?.[1]) return m[1];
  }
  return 'http://deb.debian.org/debian';
}

/** Build (or find cached) the image layer a lab Pi boots from. */
export async function ensureImage(layer: ImageLayer, log: (line: string) => void = () => {}, recipe: ImageRecipe = containerRecipe): Promise<ImageInfo> {
  const dir = recipeDir(recipe);
  const rootfs = layerDir(layer, recipe);
  const stamp = join(dir, `${layer}.json`);
  const cachedInfo = async (): Promise<ImageInfo> => ({ layer, rootfs, cached: true, buildMs: (JSON.parse(await readFile(stamp, 'utf8')) as { buildMs: number }).buildMs });
  if (existsSync(stamp) && existsSync(rootfs)) return cachedInfo();
  if (process.getuid?.() !== 0) throw new Error('building the lab image needs root (debootstrap and chroot): run it with sudo');
  for (const tool of ['debootstrap', 'systemd-nspawn']) {
    if (!(await $({ nothrow: true, quiet: true })`command -v ${tool}`).ok)
      throw new Error(`${tool} is missing: apt-get install debootstrap systemd-container`);
  }
  if (layer === 'ready') await ensureImage('base', log, recipe);
  await mkdir(dir, { recursive: true });
  return withBuildLock(rootfs, log, async () => {
    if (existsSync(stamp) && existsSync(rootfs)) return cachedInfo(); // built by the process this one waited for
    const start = performance.now();
    // Built beside its final place and renamed into it, so an interrupted build leaves no half image.
    const partial = `${rootfs}.partial`;
    await rm(partial, { recursive: true, force: true });
    let debootstrapMs = 0;
    let keptDebootstrapMs = 0;
    if (layer === 'base') {
      const bootstrapped = await ensureDebootstrap(recipe, log);
      debootstrapMs = bootstrapped.ms;
      if (bootstrapped.cached) keptDebootstrapMs = bootstrapped.ms;
      await $({ quiet: true })`cp -a --reflink=auto ${bootstrapped.rootfs} ${partial}`;
      await chrootScript(partial, recipe.setupScript, log, 'setting up the pi user and sshd; downloading camfleet\'s packages');
    } else {
      log('copying the base image');
      await $({ quiet: true })`cp -a --reflink=auto ${layerDir('base', recipe)} ${partial}`;
      await chrootScript(partial, recipe.readyScript, log, `installing ${basePackages.join(', ')}`);
    }
    await rename(partial, rootfs);
    // From nothing: a debootstrap kept from an earlier build counts with the time it took then.
    const buildMs = Math.round(performance.now() - start) + keptDebootstrapMs;
    await writeFile(stamp, `${JSON.stringify({ buildMs, debootstrapMs, builtAt: new Date().toISOString() })}\n`);
    log(`${recipe.name} image ${layer} built in ${(buildMs / 1000).toFixed(0)} s`);
    return { layer, rootfs, cached: false, buildMs };
  });
}

/**
 * debootstrap's result, kept in the cache apart from the set-up on top of it and keyed only by what
 * goes into it: a changed set-up script (or an interrupted one) does not redo it. It takes a minute
 * natively, far longer emulated (arm64). The image copies it, so it stays pristine.
 */
async function ensureDebootstrap(recipe: ImageRecipe, log: (line: string) => void): Promise<{ rootfs: string; ms: number; cached: boolean }> {
  const arch = recipe.arch ?? 'native';
  const id = createHash('sha256').update(JSON.stringify({ suite, arch, include: recipe.include })).digest('hex').slice(0, 12);
  const dir = join(cacheDir, `debootstrap-${arch}-${id}`);
  const rootfs = join(dir, 'rootfs');
  const stamp = join(dir, 'debootstrap.json');
  const kept = async () => ({ rootfs, ms: (JSON.parse(await readFile(stamp, 'utf8')) as { ms: number }).ms, cached: true });
  if (existsSync(stamp)) return kept();
  return withBuildLock(dir, log, async () => {
    if (existsSync(stamp)) return kept(); // built by the process this one waited for
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const mirror = await debianMirror();
    log(`debootstrap ${suite}${recipe.arch ? ` for ${recipe.arch} (emulated: many minutes)` : ' (a minute or two)'} from ${mirror}`);
    const start = performance.now();
    const archArg = recipe.arch ? [`--arch=${recipe.arch}`] : [];
    const includeArg = recipe.include.length ? [`--include=${recipe.include.join(',')}`] : [];
    await $({ quiet: true })`debootstrap ${archArg} --variant=minbase ${includeArg} ${suite} ${rootfs} ${mirror}`;
    const ms = Math.round(performance.now() - start);
    await writeFile(stamp, `${JSON.stringify({ ms, builtAt: new Date().toISOString() })}\n`);
    return { rootfs, ms, cached: false };
  });
}

/**
 * A Debian bookworm root exactly as `debootstrap --variant=minbase` leaves it: nothing of camfleet's
 * and nothing this machine has installed. npm test's pristine stage installs .ci/apt-packages into a
 * throwaway overlay of it, so a package missing from that list fails there even when this machine
 * has it. Cached like the lab image's debootstrap; callers must not write to it.
 */
export async function pristineRoot(log: (line: string) => void): Promise<string> {
  return (await ensureDebootstrap({ ...containerRecipe, name: 'pristine', include: [] }, log)).rootfs;
}

/** Run a script inside the image with the host's network (to reach Debian's mirror), not booted. */
async function chrootScript(rootfs: string, script: string, log: (line: string) => void, what: string): Promise<void> {
  log(what);
  // nspawn without -b: a chroot that also mounts /proc, /sys and /dev properly. Resolving names
  // needs the host's resolv.conf.
  const run = $({ quiet: true, input: script })`systemd-nspawn -q -D ${rootfs} --register=no --keep-unit --resolv-conf=copy-host --pipe /bin/sh -s`;
  await run;
}
