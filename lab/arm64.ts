// arm64 lab Pis: the Pi's own architecture on this x86_64 machine. Debian bookworm for arm64, booted
// with systemd-nspawn exactly like the container lab Pis (lab/container.ts: own network namespace,
// overlay, cgroup, fixed host key), its programs run by qemu-user-static through binfmt_misc.
// Shaped like Raspberry Pi OS lite where camfleet can tell: user pi with passwordless sudo,
// NetworkManager installed (not running: see piOsScript), /boot/firmware/config.txt, the hostname;
// Node.js and ffmpeg come from Debian's packages, pre-downloaded into apt's cache (the lab Pi has no
// route to the internet).
//
// Host N: arm<N>, netns camfleet-armN, veth cfaN (here, 10.214.N.1/24) <-> cfaNp (inside,
// 10.214.N.2/24): nothing shared with the container lab Pis (lab<N>, 10.213/16) or vm1.
//
// Everything runs emulated, many times slower than native: boot to SSH took ~19 s here, installing
// camfleet's packages ~10 minutes on the busy shared machine. No hardware encoder, so `encoder: auto` falls
// back to libx264 (and says why in the streamer's journal).
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { $ } from 'zx';
import { containerDown, containerStatus, containerUp, type ContainerHostStatus, type NspawnKind } from './container.ts';
import { ensureImage, include, readyScript, setupScript, type ImageInfo, type ImageLayer, type ImageRecipe } from './image.ts';
import type { LabHost } from './state.ts';

// What Raspberry Pi OS lite has that a Debian minbase lacks, on top of the container lab Pi's set-up
// (user pi, passwordless sudo, sshd with only the lab's host key, camfleet's packages downloaded).
const piOsScript = `set -eu
# The firmware's settings file, where Raspberry Pi OS bookworm keeps it (Raspberry Pi OS's defaults).
mkdir -p /boot/firmware
cat > /boot/firmware/config.txt <<'TXT'
# For more options and information see
# http://rptl.io/configtxt
dtparam=audio=on
camera_auto_detect=1
display_auto_detect=1
auto_initramfs=1
dtoverlay=vc4-kms-v3d
max_framebuffers=2
disable_fw_kms_setup=1
arm_64bit=1
disable_overscan=1
arm_boost=1

[cm4]
otg_mode=1

[all]
TXT
echo 'console=serial0,115200 console=tty1 root=PARTUUID=00000000-02 rootfstype=ext4 fsck.repair=yes rootwait' > /boot/firmware/cmdline.txt
# NetworkManager runs as on Raspberry Pi OS (installed with apt: debootstrap cannot resolve its
# logind dependency); the lab's veth is set up from outside (its address is how this machine
# reaches the Pi), so NetworkManager leaves that one device alone.
apt-get -q install -y --no-install-recommends network-manager
mkdir -p /etc/NetworkManager/conf.d
printf '[keyfile]\\nunmanaged-devices=interface-name:cfa*\\n' > /etc/NetworkManager/conf.d/camfleet-lab.conf
# It is installed, configured and would start at boot as on Raspberry Pi OS, but it cannot run
# under qemu-user: NetworkManager opens a generic netlink socket at start, which qemu's user-mode
# emulation does not support (socket(AF_NETLINK, ..., NETLINK_GENERIC): "Protocol not supported"),
# and aborts. So it stays disabled here rather than fail five times at every boot.
systemctl disable NetworkManager.service
# Under user-mode emulation systemd cannot set up service credentials ("Failed to set up
# credentials: Invalid argument"), so units that load any (tmpfiles, sysusers, sysctl) would fail to
# start. None are passed to a lab Pi: those units run without them.
for unit in $(grep -l '^LoadCredential=' /lib/systemd/system/*.service); do
  mkdir -p "/etc/systemd/system/\${unit##*/}.d"
  printf '[Service]\nLoadCredential=\n' > "/etc/systemd/system/\${unit##*/}.d/camfleet-lab-no-credentials.conf"
done
# systemd builds a service's credentials (LoadCredential=) in a child it clones into a new mount
# namespace, and qemu-user cannot clone with CLONE_NEWNS ("Failed to fork off '(sd-mkdcreds)':
# Invalid argument"). camfleet's streamer unit gets its config that way, so on this lab Pi alone a
# drop-in hands it over instead: a copy only the service's dynamic user can read, where
# \$CREDENTIALS_DIRECTORY points. camfleet neither writes nor reads this file; its unit is unchanged.
mkdir -p /etc/systemd/system/camfleet-streamer.service.d
cat > /etc/systemd/system/camfleet-streamer.service.d/camfleet-lab-emulation.conf <<'UNIT'
[Service]
LoadCredential=
Environment=CREDENTIALS_DIRECTORY=/run/camfleet-lab-credentials
RuntimeDirectory=camfleet-lab-credentials
ExecStartPre=+/bin/sh -c 'install -m 0400 -o "$(stat -c %%u /run/camfleet-lab-credentials)" /etc/camfleet/streamer.json /run/camfleet-lab-credentials/streamer.json'
UNIT
# Nothing periodic or waiting on the network competes with the tests for the emulated CPU.
systemctl mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer fstrim.timer NetworkManager-wait-online.service
`;

export const arm64Recipe: ImageRecipe = {
  name: 'arm64',
  arch: 'arm64',
  include,
  setupScript: `${setupScript}${piOsScript}`,
  readyScript,
};

/**
 * What an arm64 lab Pi brings to its inventory: `encoder: auto`, a picture small enough for emulation,
 * and browsers served by HLS only. camfleet-webrtc gets its config through LoadCredential= too, which
 * qemu-user cannot set up (see the streamer's drop-in above); WebRTC is proven on the native lab Pis.
 */
export const arm64Inventory = {
  camera: { device: 'lavfi:testsrc2', resolution: '320x180', fps: 10, bitrate: '300k', encoder: 'auto' },
  viewer: { paths: ['hls'] },
};

export const arm64Kind: NspawnKind = {
  kind: 'arm64',
  prefix: 'arm',
  veth: 'cfa',
  octet: 214,
  dir: 'arm64',
  recipe: arm64Recipe,
  // Emulated systemd reached sshd in ~19 s here; generous, because the machine is shared.
  bootTimeoutMs: 600_000,
  // nspawn's SIGTERM drops emulated systemd into emergency mode instead of powering off.
  killToStop: true,
  inventory: arm64Inventory,
  // The stream key came out of streamer.json into a credential of its own (/etc/camfleet/stream-key):
  // handed over like the config, by a second drop-in written at boot, so the cached image (built in
  // ~24 min from the recipe above, which hashes it) stays valid.
  bootFiles: {
    '/etc/systemd/system/camfleet-streamer.service.d/camfleet-lab-emulation-key.conf':
      "[Service]\nExecStartPre=+/bin/sh -c 'install -m 0400 -o \"$(stat -c %%u /run/camfleet-lab-credentials)\" /etc/camfleet/stream-key /run/camfleet-lab-credentials/stream-key'\n",
  },
  prepare: (log) => ensureArm64Emulation(log),
};

const binfmtEntry = '/proc/sys/fs/binfmt_misc/qemu-aarch64';

/**
 * qemu-aarch64 registered in binfmt_misc with the F flag: the kernel opens the interpreter when it is
 * registered, so arm64 programs run inside the lab Pi's root (where there is no qemu) too. A machine
 * with systemd does this at boot; without it binfmt_misc may not even be mounted.
 *
 * And with the C flag, which Debian leaves off: without it a setuid program runs with its caller's
 * credentials, so `sudo` on the lab Pi fails ("effective uid is not 0") and camfleet could change
 * nothing there. C computes them from the program, as a real arm64 kernel would. It also holds on
 * this machine: a setuid-root arm64 program that a user can run starts qemu as root. The only such
 * programs here are the lab images' and lab Pis', under root-only directories (~/.cache, .lab).
 * The registration is not persistent: a reboot or `update-binfmts` restores Debian's, and the next
 * `lab up` sets it again.
 */
export async function ensureArm64Emulation(log: (line: string) => void = () => {}): Promise<void> {
  if (!existsSync('/usr/libexec/qemu-binfmt/aarch64-binfmt-P') && !existsSync('/usr/bin/qemu-aarch64-static'))
    throw new Error('qemu-user-static is missing: apt-get install qemu-user-static binfmt-support');
  if (!existsSync('/proc/sys/fs/binfmt_misc/register')) await $({ quiet: true })`mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc`;
  if (!existsSync(binfmtEntry)) {
    if (!(await $({ quiet: true, nothrow: true })`update-binfmts --enable qemu-aarch64`).ok)
      throw new Error(`qemu-aarch64 is not registered in binfmt_misc and update-binfmts could not do it: apt-get install binfmt-support`);
  }
  const entry = await readFile(binfmtEntry, 'utf8');
  if (!/^enabled$/m.test(entry)) throw new Error(`${binfmtEntry} is disabled: echo 1 > ${binfmtEntry}`);
  const registration = binfmtRegistration(entry);
  if (!registration) return;
  log(`re-registering qemu-aarch64 in binfmt_misc with flags POCF (was ${registration.flags || 'none'}): setuid programs such as sudo need C`);
  await writeFile(binfmtEntry, '-1');
  await writeFile('/proc/sys/fs/binfmt_misc/register', registration.line);
}

/**
 * The binfmt_misc registration line that gives qemu-aarch64 the flags the lab needs (P as Debian's
 * -P interpreter expects, O and C for setuid programs, F), from its /proc entry; undefined when it
 * has them already.
 */
export function binfmtRegistration(entry: string): { line: string; flags: string } | undefined {
  const field = (name: string) => new RegExp(`^${name} (\\S+)$`, 'm').exec(entry)?.[1] ?? '';
  const flags = /^flags: *(\S*)$/m.exec(entry)?.[1] ?? '';
  if (flags.includes('F') && flags.includes('C')) return undefined;
  const [interpreter, magic, mask, offset] = [field('interpreter'), field('magic'), field('mask'), field('offset') || '0'];
  if (!/^\/\S+$/.test(interpreter) || !/^(?:[0-9a-f]{2})+$/.test(magic) || !/^(?:[0-9a-f]{2})*$/.test(mask) || !/^\d+$/.test(offset))
    throw new Error(`cannot read the qemu-aarch64 binfmt_misc entry:\n${entry}`);
  const escaped = (hex: string) => hex.replace(/../g, '\\x$&'); // binfmt_misc's own escape for bytes
  return { line: `:qemu-aarch64:M:${offset}:${escaped(magic)}:${escaped(mask)}:${interpreter}:POCF`, flags };
}

/** Build (or find cached) the arm64 image. */
export async function ensureArm64Image(layer: ImageLayer = 'base', log: (line: string) => void = () => {}): Promise<ImageInfo> {
  await ensureArm64Emulation(log);
  return ensureImage(layer, log, arm64Recipe);
}

/** Boot arm64 lab Pis arm1..N (replacing running ones; container lab Pis and vm1 are left alone). */
export async function arm64Up(o: { hosts?: number; layer?: ImageLayer; log?: (line: string) => void } = {}): Promise<LabHost[]> {
  return containerUp({ hosts: o.hosts ?? 1, layer: o.layer, log: o.log, kind: arm64Kind });
}

export async function arm64Down(log?: (line: string) => void): Promise<void> {
  await containerDown(log, arm64Kind);
}

export async function arm64Status(): Promise<ContainerHostStatus[]> {
  return containerStatus(arm64Kind);
}
