// The VM lab Pi's image: Debian bookworm with Debian's own kernel, so that in-tree drivers give it
// a real V4L2 camera (vivid at /dev/video0) and real 802.11 radios (mac80211_hwsim, two of them).
//
// It starts from the container lab Pi's base image (../image.ts: debootstrapped bookworm, user pi
// with passwordless sudo, sshd, camfleet's packages already downloaded), which CI builds anyway:
// no second debootstrap, no second download of ffmpeg. The root filesystem is an ext4 disk image
// made with `mkfs.ext4 -d`; the kernel and initrd are copied out of it so qemu boots them directly.
// Built once and cached; the directory name carries a hash of this recipe, of the base image's and
// of the baked-in host key, so changing any of them builds a new image.
//
// Lab shortcut: every package camfleet would install (nginx, ffmpeg, nodejs, the hotspot tools) is
// installed here already. Under TCG emulation apt would take minutes, and the container lab Pis
// already prove that provisioning installs packages; the VM is for camera and Wi-Fi.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, chmod, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { $ } from 'zx';
import { cacheDir } from '../state.ts';
import type { VmOptions } from '../vm-api.ts';
import { ensureImage, imageId as containerImageId } from '../image.ts';
import { vmHostKey } from './host.ts';
import { vimcBuildScript } from './vimc.ts';

export type { VmOptions };

/** Every part's packages (a test holds it to the parts: allPackages), beside the VM's own. */
export const packages = [
  // What a VM needs beyond a container: device management and module loading.
  'udev', 'kmod',
  // Boots on qemu: the kernel, and an initrd with the virtio disk driver.
  'linux-image-amd64', 'initramfs-tools',
  // What camfleet installs on a Pi (all modes), pre-installed: see the note at the top. Spelled out,
  // not derived, so the image's cache key stays put: test/parts.test.ts checks it has every part's.
  'nginx', 'libnginx-mod-rtmp', 'ffmpeg', 'nodejs',
  'network-manager', 'nftables', 'hostapd', 'dnsmasq', 'iw', 'rfkill', 'wpasupplicant',
  'libcamera-ipa', 'libcamera-tools', 'gstreamer1.0-libcamera', 'gstreamer1.0-tools', 'gstreamer1.0-plugins-base',
  // For the tests: camera inspection (V4L2 and libcamera's device monitor), and a Wi-Fi client's DHCP.
  'v4l-utils', 'gstreamer1.0-plugins-base-apps', 'isc-dhcp-client', 'iputils-ping',
];

// Everything done inside the image on top of the base, as one script: the recipe the cache key
// hashes. The base already has user pi (passwordless sudo, in group video) and sshd offering only
// /etc/ssh/ssh_host_ed25519_key, which was copied in before this script.
const setupScript = `set -eu
export DEBIAN_FRONTEND=noninteractive
echo vm1 > /etc/hostname
printf '127.0.0.1\\tlocalhost\\n127.0.1.1\\tvm1\\n::1\\tlocalhost ip6-localhost ip6-loopback\\n' > /etc/hosts
echo '/dev/vda / ext4 rw,noatime 0 0' > /etc/fstab
chmod 600 /etc/ssh/ssh_host_ed25519_key
# The operator's key differs per checkout, so it is not baked in: qemu hands it over through
# fw_cfg and this unit installs it before sshd starts.
cat > /etc/systemd/system/camfleet-lab-operator-key.service <<'UNIT'
[Unit]
Description=Authorize the lab operator's SSH key (from qemu fw_cfg)
After=systemd-modules-load.service
Before=ssh.service
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'install -m 600 -o pi -g pi /sys/firmware/qemu_fw_cfg/by_name/opt/camfleet/authorized_keys/raw /home/pi/.ssh/authorized_keys'
[Install]
WantedBy=multi-user.target
UNIT
systemctl enable camfleet-lab-operator-key.service
# The simulated hardware: a capture-only vivid device (so /dev/video0 is the camera), libcamera's
# vimc camera (built below; loaded after vivid, so its nodes come after /dev/video0) and two radios.
mkdir -p /etc/modules-load.d /etc/modprobe.d
printf 'qemu_fw_cfg\\nvivid\\nvimc\\nmac80211_hwsim\\n' > /etc/modules-load.d/camfleet-lab.conf
printf 'options vivid n_devs=1 node_types=0x1\\noptions mac80211_hwsim radios=2\\n' > /etc/modprobe.d/camfleet-lab.conf
# A small initrd (only what mounts /dev/vda) boots faster under emulation than the default "most".
mkdir -p /etc/initramfs-tools/conf.d
echo MODULES=list > /etc/initramfs-tools/conf.d/camfleet-lab
printf 'virtio_pci\\nvirtio_blk\\next4\\n' >> /etc/initramfs-tools/modules
apt-get -q update
apt-get -q install -y --no-install-recommends ${packages.join(' ')}
${vimcBuildScript}# Nothing periodic, scrubbing or waiting on the network competes with the tests for the emulated CPU.
systemctl mask apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer e2scrub_reap.service \\
  fstrim.timer systemd-timesyncd.service NetworkManager-wait-online.service getty@tty1.service 2>/dev/null || true
# Like a Pi that never had a hostapd hotspot: dnsmasq installed but not running (camfleet enables it).
systemctl disable dnsmasq.service
apt-get clean
`;

/** Everything that decides the image's content. */
function recipeHash(hostKey: string): string {
  return createHash('sha256').update(JSON.stringify({ base: containerImageId, packages, setupScript, hostKey })).digest('hex').slice(0, 12);
}

export interface VmImage {
  dir: string;
  rootfs: string;
  kernel: string;
  initrd: string;
  hostKey: string;
}

export async function vmImagePaths(): Promise<VmImage> {
  const key = await vmHostKey();
  const dir = join(cacheDir, `vm-${recipeHash(key.publicKey)}`);
  return { dir, rootfs: join(dir, 'rootfs.ext4'), kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'), hostKey: key.publicKey };
}

/** Build the VM image, or find it in the cache. */
export async function buildVmImage(o: VmOptions = {}): Promise<{ ms: number; cached: boolean }> {
  const log = o.log ?? (() => {});
  const image = await vmImagePaths();
  const stamp = join(image.dir, 'image.json');
  if (existsSync(stamp)) {
    const { buildMs } = JSON.parse(await readFile(stamp, 'utf8')) as { buildMs: number };
    return { ms: buildMs, cached: true };
  }
  if (process.getuid?.() !== 0) throw new Error('building the VM lab image needs root (debootstrap and systemd-nspawn): run it with sudo');
  for (const tool of ['systemd-nspawn', 'mkfs.ext4']) {
    if (!(await $({ nothrow: true, quiet: true })`command -v ${tool}`).ok)
      throw new Error(`${tool} is missing: apt-get install systemd-container e2fsprogs`);
  }
  const start = performance.now();
  const base = await ensureImage('base', log);
  // The stamp is written last, so an interrupted build is redone; a failed one leaves nothing.
  await rm(image.dir, { recursive: true, force: true });
  await mkdir(image.dir, { recursive: true });
  try {
    await buildInto(image, base.rootfs, log);
  } catch (e) {
    await rm(image.dir, { recursive: true, force: true });
    throw e;
  }
  const ms = Math.round(performance.now() - start);
  await writeFile(stamp, `${JSON.stringify({ buildMs: ms, builtAt: new Date().toISOString() })}\n`);
  log(`vm image built in ${(ms / 1000).toFixed(0)} s at ${image.dir}`);
  return { ms, cached: false };
}

/** Base image -> VM image: packages and set-up in a copy, kernel and initrd out, ext4 disk image. */
async function buildInto(image: VmImage, baseRootfs: string, log: (line: string) => void): Promise<void> {
  const rootfs = join(image.dir, 'rootfs.partial');
  log('vm image: copying the base image');
  await $({ quiet: true })`cp -a --reflink=auto ${baseRootfs} ${rootfs}`;

  const key = await vmHostKey();
  await copyFile(key.privatePath, join(rootfs, 'etc/ssh/ssh_host_ed25519_key'));
  await copyFile(`${key.privatePath}.pub`, join(rootfs, 'etc/ssh/ssh_host_ed25519_key.pub'));
  log(`vm image: installing the kernel, ${packages.length} packages and the lab set-up (a minute or two)`);
  // nspawn without -b: a chroot with /proc, /sys and /dev mounted; the host's DNS to reach the mirror.
  await $({ quiet: true, input: setupScript })`systemd-nspawn -q -D ${rootfs} --register=no --keep-unit --resolv-conf=copy-host --pipe /bin/sh -s`;
  // The image keeps the default resolv.conf symlink handling; nspawn's copy must not stay behind.
  await rm(join(rootfs, 'etc/resolv.conf'), { force: true });

  const boot = await readdir(join(rootfs, 'boot'));
  const vmlinuz = boot.find((f) => f.startsWith('vmlinuz-'));
  const initrd = boot.find((f) => f.startsWith('initrd.img-'));
  if (!vmlinuz || !initrd) throw new Error(`vm image: no kernel or initrd in /boot (found ${boot.join(', ')})`);
  await copyFile(join(rootfs, 'boot', vmlinuz), image.kernel);
  await copyFile(join(rootfs, 'boot', initrd), image.initrd);

  // A sparse file with room to spare for logs and provisioning; it costs only what is written.
  log('vm image: writing the ext4 root filesystem');
  const used = Number((await $({ quiet: true })`du -sm ${rootfs}`).stdout.split(/\s/)[0]);
  const partialImage = `${image.rootfs}.partial`;
  await $({ quiet: true })`truncate -s ${`${used * 2 + 1024}M`} ${partialImage}`;
  await $({ quiet: true })`mkfs.ext4 -q -F -L camfleet-vm -d ${rootfs} ${partialImage}`;
  await chmod(partialImage, 0o600);
  await rename(partialImage, image.rootfs);
  await rm(rootfs, { recursive: true, force: true });
}
