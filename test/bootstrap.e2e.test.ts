// From a blank card to a streaming Pi (issue 25): a lab Pi booted from an image with cloud-init
// and nothing of camfleet's (no user, no key, no host key: lab/image.ts firstBootVariant), given
// only the folder `bootstrap` wrote, bound at /boot/firmware. provision then reaches it with
// strict host keys and no trust flag, streams, and changes nothing on a second run; the private
// host key is gone from the boot folder after that first boot. The firstrun.sh route is run as far
// as a container can: under the lab Pi's own systemd, as a unit, on a Pi whose cloud-init is off.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerDown, containerInit, containerUp, firstBootKind, hostAddress, type NspawnKind } from '../lab/container.ts';
import { ensureVariant, firstBootVariant } from '../lab/image.ts';
import { ensureOperatorKey, operatorKeyPath, type LabHost } from '../lab/state.ts';
import { camfleet } from './support/cli.ts';
import { labUnavailable, onHost, provisionAgainChangesNothing, provisionFresh, systemState, waitForStream } from './support/lab.ts';

const why = labUnavailable();
if (why) console.warn(`skipping bootstrap end-to-end tests: ${why}`);

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A scratch inventory for boot1 and an empty known_hosts; a card folder shaped like a boot partition. */
function setUp(): { dir: string; inventory: string; knownHosts: string; card: string; pi: LabHost } {
  const dir = mkdtempSync(join(tmpdir(), 'camfleet-bootstrap-'));
  const knownHosts = join(dir, 'known_hosts');
  const address = hostAddress(1, firstBootKind);
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(
    inventory,
    stringify({
      defaults: {
        ssh: { user: 'camop', identityFile: operatorKeyPath, knownHostsFile: knownHosts },
        camera: { device: 'lavfi:testsrc2', resolution: '640x360', fps: 15, bitrate: '800k', encoder: 'libx264' },
        hotspot: { mode: 'none' },
        firstBoot: { timezone: 'Europe/London' },
      },
      hosts: { boot1: { address } },
    }),
  );
  const card = join(dir, 'bootfs');
  mkdirSync(card);
  writeFileSync(join(card, 'config.txt'), '[all]\n');
  writeFileSync(join(card, 'cmdline.txt'), 'console=serial0,115200 console=tty1 root=PARTUUID=0ddba11-02 rootfstype=ext4 fsck.repair=yes rootwait\n');
  const pi: LabHost = { name: 'boot1', kind: 'first-boot', address, sshPort: 22, hostKey: '', user: 'camop', knownHostsFile: knownHosts };
  return { dir, inventory, knownHosts, card, pi };
}

/** Every file of the card folder, read whole. */
const cardText = (card: string) => readdirSync(card).map((f) => readFileSync(join(card, f), 'utf8')).join('\n');

describe.skipIf(!!why)('bootstrap: a fresh cloud-init Pi, from its card to streaming', () => {
  const s = setUp();
  const provision = (...args: string[]) => camfleet(['provision', '--inventory', s.inventory, '--host', 'boot1', ...args]);
  let privateKey = '';

  beforeAll(async () => {
    await ensureOperatorKey();
    // Built here when missing (a minute from nothing), so the boot below is timed alone.
    await ensureVariant(firstBootVariant);
    // A stock card's empty NoCloud placeholder: the card says it takes cloud-init.
    writeFileSync(join(s.card, 'meta-data'), '');
  });
  afterAll(async () => {
    if (!why) await containerDown(() => {}, firstBootKind);
  });

  it('writes user-data, network-config and meta-data and pins the host key, printing no secret', async () => {
    const t = performance.now();
    const r = await camfleet(['bootstrap', '--inventory', s.inventory, '--host', 'boot1', '--boot', s.card]);
    console.log(`bootstrap: ${secs(performance.now() - t)}`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/boot1: user-data, network-config, meta-data -> .* \(cloud-init\)/);
    const userData = readFileSync(join(s.card, 'user-data'), 'utf8');
    privateKey = /-----BEGIN OPENSSH PRIVATE KEY-----[\s\S]*?-----END OPENSSH PRIVATE KEY-----/.exec(userData)?.[0].replace(/\n +/g, '\n') ?? '';
    expect(privateKey).not.toBe('');
    const body = privateKey.split('\n')[1]!;
    expect(r.stdout + r.stderr).not.toContain(body);
    const pinned = readFileSync(s.knownHosts, 'utf8').trim().split('\n');
    expect(pinned).toHaveLength(1);
    expect(pinned[0]).toMatch(new RegExp(`^${s.pi.address.replaceAll('.', '\\.')} ssh-ed25519 AAAA[A-Za-z0-9+/]+=*$`));
    expect(userData).toContain(pinned[0]!.split(' ').slice(1).join(' '));
  });

  it('the Pi boots from it: cloud-init makes the user, installs the pinned key, sshd answers', async () => {
    const t = performance.now();
    await containerUp({ hosts: 1, kind: firstBootKind, bootFolders: [s.card], log: (l) => console.log(l) });
    console.log(`boot to sshd: ${secs(performance.now() - t)}`);
    // sshd answers as soon as cloud-init's first stage wrote the pinned key, and its config stage
    // then restarts sshd (ssh_pwauth): waited for from inside, not over ssh, so no ssh below can
    // land in that restart. Its last stage (the shredding) runs after that.
    const init = await containerInit('boot1', firstBootKind);
    const status = execFileSync('nsenter', ['-t', String(init), '-a', 'sh', '-c', 'cloud-init status --wait --long; true'], { encoding: 'utf8' });
    console.log(status);
    expect(status).toMatch(/status: done/);
    expect(systemState(s.pi)).toBe('running');
    expect(onHost(s.pi, 'cat /etc/hostname; id -nG; sudo -n true && echo sudo-ok; readlink /etc/localtime; sudo sshd -T | grep -E "^(passwordauthentication|kbdinteractiveauthentication) " | sort; ls /etc/ssh/ | grep ssh_host_').trim().split('\n')).toEqual([
      'boot1',
      'camop sudo video',
      'sudo-ok',
      '/usr/share/zoneinfo/Europe/London',
      'kbdinteractiveauthentication no',
      'passwordauthentication no',
      'ssh_host_ed25519_key',
      'ssh_host_ed25519_key.pub',
    ]);
  });

  it('after that first boot no file of the card holds the private key or anything secret, and the stubs are camfleet\'s', () => {
    const text = cardText(s.card);
    expect(text).not.toContain(privateKey.split('\n')[1]!);
    expect(text).not.toContain('PRIVATE KEY');
    expect(readFileSync(join(s.card, 'user-data'), 'utf8')).toMatch(/^#cloud-config\n# Managed by camfleet.*\n# boot1's first boot is done/);
  });

  it('provision reaches it with strict host keys and no trust flag, and it streams', async () => {
    const t = performance.now();
    await provisionFresh(s.pi, provision);
    console.log(`first provision: ${secs(performance.now() - t)}`);
    const stream = await waitForStream(`rtmp://${s.pi.address}:1935/live/cam`);
    expect(stream).toEqual({ codec: 'h264', width: 640, height: 360, fps: '15/1' });
  });

  it('a second provision changes nothing', async () => {
    const t = performance.now();
    await provisionAgainChangesNothing(s.pi, provision);
    console.log(`second provision: ${secs(performance.now() - t)}`);
  });

  it('bootstrapping the same card again replaces camfleet\'s own files without --force, with a new pinned key', async () => {
    const before = readFileSync(s.knownHosts, 'utf8');
    const r = await camfleet(['bootstrap', '--inventory', s.inventory, '--host', 'boot1', '--boot', s.card]);
    expect(r.code).toBe(0);
    const after = readFileSync(s.knownHosts, 'utf8').trim().split('\n');
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before.trim());
  });
});

/**
 * The Bookworm route, as far as a container goes: no kernel reads cmdline.txt here, so the script
 * its hook names is run the way systemd.run runs it -- as a transient unit of the lab Pi's own
 * systemd, as root -- on a Pi whose cloud-init is off and that has no user, key or host key; then
 * sshd is restarted where a real Pi would reboot (systemd.run_success_action=reboot). The Wi-Fi part
 * writes NetworkManager's keyfile for real (there is no radio to join with it).
 */
describe.skipIf(!!why)('bootstrap: the firstrun.sh route, run under the lab Pi\'s systemd', () => {
  const s = setUp();
  const provision = (...args: string[]) => camfleet(['provision', '--inventory', s.inventory, '--host', 'boot1', ...args]);
  const ssid = `caf\u00e9 'n" $(x) \`y\`;#`;
  const passphrase = `p'a"$HOME \`id\` \\n; #: [x]`;
  const cmdline = () => readFileSync(join(s.card, 'cmdline.txt'), 'utf8');
  let original = '';
  const kind: NspawnKind = { ...firstBootKind, bootFiles: { 'etc/cloud/cloud-init.disabled': '' } };
  const inside = async (...command: string[]) => execFileSync('nsenter', ['-t', String(await containerInit('boot1', kind)), '-a', ...command], { encoding: 'utf8' });

  beforeAll(async () => {
    await ensureOperatorKey();
    original = cmdline();
    const doc = readFileSync(s.inventory, 'utf8');
    writeFileSync(s.inventory, doc.replace('firstBoot:', `uplink:\n    mode: wifi\n    ssid: ${JSON.stringify(ssid)}\n    passphrase: { env: UPLINK_PASS }\n    country: GB\n  firstBoot:`));
  });
  afterAll(async () => {
    if (!why) await containerDown(() => {}, kind);
  });

  it('a card without seed files takes firstrun.sh, hooked once into cmdline.txt', async () => {
    const r = await camfleet(['bootstrap', '--inventory', s.inventory, '--host', 'boot1', '--boot', s.card], { env: { UPLINK_PASS: passphrase } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/boot1: firstrun\.sh, cmdline\.txt -> .* \(firstrun\)/);
    expect(r.stdout).not.toContain(passphrase);
    expect(cmdline()).toBe(`${original.trimEnd()} systemd.run=/boot/firstrun.sh systemd.run_success_action=reboot systemd.unit=kernel-command-line.target\n`);
  });

  it('run as systemd.run would, it gives the Pi its user, key, host key and Wi-Fi, and removes itself and its hook', async () => {
    const t = performance.now();
    await containerUp({ hosts: 1, kind, bootFolders: [s.card], until: 'started' });
    console.log(`boot (no sshd: no host key yet): ${secs(performance.now() - t)}`);
    const run = performance.now();
    await inside('systemd-run', '--wait', '--quiet', '--unit=camfleet-firstrun', '/bin/sh', '/boot/firmware/firstrun.sh');
    console.log(`firstrun.sh as a unit: ${secs(performance.now() - run)}`);
    expect(readdirSync(s.card).sort()).toEqual(['cmdline.txt', 'config.txt']);
    expect(cmdline()).toBe(original);
    const keyfile = await inside('cat', '/etc/NetworkManager/system-connections/camfleet-uplink.nmconnection');
    expect(keyfile).toContain(`ssid=${[...Buffer.from(ssid)].join(';')};\n`);
    expect(keyfile).toContain(`psk=${passphrase.replaceAll('\\', '\\\\')}\n`);
    expect((await inside('stat', '-c', '%a', '/etc/NetworkManager/system-connections/camfleet-uplink.nmconnection')).trim()).toBe('600');
    // A real Pi reboots here (systemd.run_success_action=reboot); sshd starting with the new key is what matters.
    // Its sshd failed at boot for want of a key, maybe up to systemd's start limit: cleared first.
    await inside('systemctl', 'reset-failed', 'ssh.service');
    await inside('systemctl', 'restart', 'ssh.service');
  });

  it('provision reaches it with strict host keys and no trust flag, it streams, and a re-run changes nothing', async () => {
    const t = performance.now();
    await provisionFresh(s.pi, provision);
    console.log(`first provision (firstrun route): ${secs(performance.now() - t)}`);
    expect(onHost(s.pi, 'cat /etc/hostname /etc/timezone; id -nG; sudo -n true && echo sudo-ok').trim().split('\n')).toEqual(['boot1', 'Europe/London', 'camop sudo video', 'sudo-ok']);
    await waitForStream(`rtmp://${s.pi.address}:1935/live/cam`);
    await provisionAgainChangesNothing(s.pi, provision);
  });
});
