// The Bookworm route: Imager's older firstrun.sh, run once by systemd from the kernel command line
// (cmdline.txt), which then reboots. The script applies the same settings as the cloud-init route
// and removes itself and its hook. Every value in it passes through shell.ts's quoting.
import { cardMarker, regenerateKeysUnit, userGroups, type CardFile, type FirstBoot } from './first-boot.ts';
import { shellQuote as q } from './shell.ts';

/** What Imager appends to cmdline.txt (the one line), and what the script takes out again. */
export const cmdlineHook = 'systemd.run=/boot/firstrun.sh systemd.run_success_action=reboot systemd.unit=kernel-command-line.target';

/** cmdline.txt with the hook appended to its one line (once), or the fault. */
export function hookCmdline(text: string): { ok: true; text: string } | { ok: false; fault: string } {
  const line = text.replace(/\r?\n+$/, '');
  if (line.includes('\n')) return { ok: false, fault: 'has more than one line; the kernel reads only one' };
  if (line.includes(cmdlineHook)) return { ok: true, text: `${line}\n` };
  if (/(^|\s)systemd\.(run|unit)=/.test(line)) return { ok: false, fault: 'already runs a first-boot command (systemd.run= or systemd.unit=) that camfleet did not add' };
  return { ok: true, text: `${line.trimEnd()} ${cmdlineHook}\n` };
}

export function firstrunFiles(fb: FirstBoot): CardFile[] {
  return [{ name: 'firstrun.sh', content: firstrunScript(fb), secret: true }];
}

/** A text file's lines written by printf, each a quoted word (no here-document to end early). */
const writeLines = (text: string, path: string): string => `printf '%s\\n' ${text.replace(/\n$/, '').split('\n').map(q).join(' ')} > ${q(path)}`;

export function firstrunScript(fb: FirstBoot): string {
  const { host, hostKey } = fb;
  const user = host.ssh.user;
  const u = host.uplink;
  const zone = host.firstBoot.timezone;
  const lines = [
    '#!/bin/sh',
    '# shellcheck disable=SC2016 # every value is single-quoted on purpose: a $ in one is literal',
    `# ${cardMarker}: first boot of ${host.name}, run once from cmdline.txt, then removed.`,
    `# Holds ${host.name}'s private host key until that boot removes this file.`,
    '# One block, read whole before it runs: the script shreds its own file at the end.',
    '{',
    'set -u',
    'exec >>/var/log/camfleet-firstrun.log 2>&1',
    '',
    '# Hostname',
    `printf '%s\\n' ${q(host.name)} > /etc/hostname`,
    `sed -i '/^127\\.0\\.1\\.1[[:space:]]/d' /etc/hosts`,
    `printf '127.0.1.1\\t%s\\n' ${q(host.name)} >> /etc/hosts`,
    '',
    '# The operator: key login, passwordless sudo, no password',
    `id -u ${q(user)} >/dev/null 2>&1 || useradd -m -s /bin/bash ${q(user)}`,
    `for g in ${userGroups.map(q).join(' ')}; do getent group "$g" >/dev/null && usermod -aG "$g" ${q(user)}; done`,
    `passwd -l ${q(user)} >/dev/null`,
    `home=$(getent passwd ${q(user)} | cut -d: -f6)`,
    `install -d -m 700 -o ${q(user)} -g ${q(user)} "$home/.ssh"`,
    `printf '%s\\n' ${q(fb.authorizedKey)} > "$home/.ssh/authorized_keys"`,
    `chown ${q(user)}: "$home/.ssh/authorized_keys" && chmod 600 "$home/.ssh/authorized_keys"`,
    `printf '%s ALL=(ALL) NOPASSWD:ALL\\n' ${q(user)} > /etc/sudoers.d/010_camfleet-nopasswd`,
    'chmod 440 /etc/sudoers.d/010_camfleet-nopasswd',
    '',
    '# The host key pinned in the operator\'s known_hosts; no other',
    `systemctl disable ${q(regenerateKeysUnit)} 2>/dev/null || true`,
    'rm -f /etc/ssh/ssh_host_*',
    '(umask 077; ' + writeLines(hostKey.privateKey, '/etc/ssh/ssh_host_ed25519_key') + ')',
    `printf '%s\\n' ${q(hostKey.publicKey)} > /etc/ssh/ssh_host_ed25519_key.pub`,
    'install -d /etc/ssh/sshd_config.d',
    writeLines(['HostKey /etc/ssh/ssh_host_ed25519_key', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PermitRootLogin no'].join('\n'), '/etc/ssh/sshd_config.d/010-camfleet.conf'),
    'systemctl enable ssh',
    '',
    '# Time zone',
    `if [ -f ${q(`/usr/share/zoneinfo/${zone}`)} ]; then ln -sf ${q(`/usr/share/zoneinfo/${zone}`)} /etc/localtime; printf '%s\\n' ${q(zone)} > /etc/timezone; fi`,
  ];
  if (u.mode === 'wifi') {
    const keyfile = ['[connection]', 'id=camfleet-uplink', 'type=wifi', `interface-name=${u.interface}`, '', '[wifi]', 'mode=infrastructure',
      // The SSID as its bytes: no character of it is read as keyfile syntax.
      `ssid=${[...Buffer.from(u.ssid, 'utf8')].join(';')};`, '', '[wifi-security]', 'key-mgmt=wpa-psk', `psk=${keyfileValue(u.passphrase)}`, '', '[ipv4]', 'method=auto', '', '[ipv6]', 'method=auto', ''].join('\n');
    lines.push(
      '',
      '# Wi-Fi uplink (NetworkManager, as Bookworm runs it) and its country',
      'install -d -m 700 /etc/NetworkManager/system-connections',
      '(umask 077; ' + writeLines(keyfile, '/etc/NetworkManager/system-connections/camfleet-uplink.nmconnection') + ')',
      `if command -v raspi-config >/dev/null; then raspi-config nonint do_wifi_country ${q(u.country)}; fi`,
      'rfkill unblock wifi 2>/dev/null || true',
    );
  }
  lines.push(
    '',
    '# Done: this script and its cmdline.txt hook go (the boot partition is /boot/firmware on Bookworm, /boot before)',
    'for boot in /boot/firmware /boot; do',
    '  [ -f "$boot/cmdline.txt" ] || continue',
    `  sed -i ${q(`s| ${cmdlineHook.replaceAll('.', '\\.')}||`)} "$boot/cmdline.txt"`,
    '  if [ -f "$boot/firstrun.sh" ]; then shred -u "$boot/firstrun.sh"; fi',
    'done',
    'sync',
    'exit 0',
    '}',
    '',
  );
  return lines.join('\n');
}

/** A GLib keyfile string value: backslash escapes, a leading space kept (\s). The passphrase is printable ASCII (rules.ts). */
function keyfileValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replace(/^ /, '\\s');
}
