// The cloud-init route (current Raspberry Pi OS; Imager 2 writes the same three files): NoCloud's
// user-data, network-config and meta-data on the boot partition. Every file is built as data and
// emitted by the yaml library, never spliced as text; shell inside runcmd comes from shell.ts.
import { stringify } from 'yaml';
import { bootMount, cardMarker, regenerateKeysUnit, userGroups, type CardFile, type FirstBoot } from './first-boot.ts';
import { shellCommand, shellQuote } from './shell.ts';

const yaml = (value: unknown): string => stringify(value, { lineWidth: 0, blockQuote: 'literal' });

/** The seed files holding secrets (host key; Wi-Fi passphrase), shredded by the first boot. */
export const secretSeeds = ['user-data', 'network-config'] as const;

export function cloudInitFiles(fb: FirstBoot): CardFile[] {
  return [
    { name: 'user-data', content: userData(fb), secret: true },
    { name: 'network-config', content: networkConfig(fb), secret: fb.host.uplink.mode === 'wifi' },
    { name: 'meta-data', content: `# ${cardMarker}\n${yaml({ 'instance-id': fb.instanceId, 'local-hostname': fb.host.name })}`, secret: false },
  ];
}

/** What the seed files say once the first boot has shredded them: nothing secret, still camfleet's. */
export function spentUserData(name: string): string {
  return `#cloud-config\n# ${cardMarker}\n# ${name}'s first boot is done: the host key and passphrase this card held were shredded.\n`;
}
export const spentNetworkConfig = `# ${cardMarker}\n# Applied at the first boot; cloud-init does not apply it again.\n${yaml({ network: { config: 'disabled' } })}`;

function userData(fb: FirstBoot): string {
  const { host } = fb;
  const config = {
    hostname: host.name,
    manage_etc_hosts: true,
    timezone: host.firstBoot.timezone,
    // The card's own locale stays: cloud-init's default (en_US.UTF-8) would replace Raspberry Pi OS's,
    // and needs the locales package, which a minimal image lacks (the lab's first boot failed on it).
    locale: 'false',
    users: [
      {
        name: host.ssh.user,
        groups: userGroups,
        shell: '/bin/bash',
        sudo: 'ALL=(ALL) NOPASSWD:ALL',
        lock_passwd: true,
        ssh_authorized_keys: [fb.authorizedKey],
      },
    ],
    ssh_pwauth: false,
    disable_root: true,
    // Only the pinned key: the one known_hosts already holds.
    ssh_deletekeys: true,
    ssh_genkeytypes: [],
    ssh_keys: { ed25519_private: fb.hostKey.privateKey, ed25519_public: fb.hostKey.publicKey },
    // Before cc_ssh writes the key: Raspberry Pi OS would otherwise make new ones on this boot.
    bootcmd: [['sh', '-c', `systemctl disable --no-block ${regenerateKeysUnit} 2>/dev/null || true`], ['systemctl', 'enable', 'ssh']],
    runcmd: [['sh', '-c', shredSeeds(host.name)], ['systemctl', 'start', '--no-block', 'ssh']],
  };
  return `#cloud-config\n# ${cardMarker}: first boot of ${host.name}.\n# Holds ${host.name}'s private host key until that boot shreds this file.\n${yaml(config)}`;
}

/** Run at the end of the first boot: the secrets leave the FAT partition, secret-free stubs stay. */
function shredSeeds(name: string): string {
  const seed = (file: string) => shellQuote(`${bootMount}/${file}`);
  return [
    ...secretSeeds.map((f) => `if [ -f ${seed(f)} ]; then shred -u ${seed(f)}; fi`),
    `printf '%s' ${shellQuote(spentUserData(name))} > ${seed('user-data')}`,
    `printf '%s' ${shellQuote(spentNetworkConfig)} > ${seed('network-config')}`,
    shellCommand('sync'),
  ].join('\n');
}

function networkConfig(fb: FirstBoot): string {
  const u = fb.host.uplink;
  // Wired DHCP always (a Pi with a cable just works); Wi-Fi only when named.
  const network: Record<string, unknown> = { version: 2, ethernets: { eth0: { dhcp4: true, optional: true } } };
  if (u.mode === 'wifi') {
    network.wifis = {
      [u.interface]: { dhcp4: true, optional: true, 'regulatory-domain': u.country, 'access-points': { [u.ssid]: { password: u.passphrase } } },
    };
  }
  return `# ${cardMarker}\n${yaml({ network })}`;
}
