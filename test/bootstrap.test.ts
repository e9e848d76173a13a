// `npm run bootstrap` without a lab Pi: the files it writes, read back by the parsers that will
// read them (YAML for cloud-init, sh and shellcheck for firstrun.sh), and every refusal of issue
// 25 item 3 -- each one line, exit 2, the card and known_hosts exactly as they were.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { planCard } from '../provision/core/bootstrap/card.ts';
import { cloudInitFiles } from '../provision/core/bootstrap/cloud-init.ts';
import type { FirstBoot } from '../provision/core/bootstrap/first-boot.ts';
import { cmdlineHook, firstrunScript, hookCmdline } from '../provision/core/bootstrap/firstrun.ts';
import { shellQuote } from '../provision/core/bootstrap/shell.ts';
import { checkPublicKey } from '../provision/core/bootstrap/values.ts';
import { parseAndResolve } from '../provision/core/inventory/load.ts';
import { parseAddress } from '../provision/core/inventory/address.ts';
import { indexKnownHosts, pinKnownKey } from '../provision/transport/known-hosts.ts';
import { camfleet } from './support/cli.ts';

const hostileSsid = `\u00e9 'n" $(x) \`y\`;# :[a]`;
const hostilePass = `p'a"$HOME \`id\` \\n; #: [x] {y}`;

function fleet(extra: Record<string, unknown> = {}, host: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'camfleet-bootstrap-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'operator@test', '-f', join(dir, 'id_ed25519')]);
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(
    inventory,
    stringify({
      defaults: { ssh: { user: 'camop', identityFile: 'id_ed25519', knownHostsFile: 'known_hosts' }, firstBoot: { timezone: 'Europe/London' }, ...extra },
      hosts: { pi1: { address: 'pi1.local', ...host }, pi2: { address: 'pi2.local' } },
    }),
  );
  const card = join(dir, 'bootfs');
  mkdirSync(card);
  writeFileSync(join(card, 'config.txt'), '[all]\n');
  writeFileSync(join(card, 'cmdline.txt'), 'console=tty1 root=PARTUUID=0ddba11-02 rootwait\n');
  return { dir, inventory, card, knownHosts: join(dir, 'known_hosts') };
}

/** Names and contents of every file in a folder and the known_hosts file: what "nothing written" compares. */
function snapshot(f: { card: string; knownHosts: string; dir: string }): string {
  const files = readdirSync(f.card).sort().map((n) => `${n}\n${readFileSync(join(f.card, n), 'utf8')}`);
  return JSON.stringify({ files, knownHosts: existsSync(f.knownHosts) ? readFileSync(f.knownHosts, 'utf8') : null, out: existsSync(join(f.dir, 'out')) });
}

const bootstrap = (f: { inventory: string }, args: string[], env: NodeJS.ProcessEnv = {}) => camfleet(['bootstrap', '--inventory', f.inventory, ...args], { env });

/** A refusal: exit 2, exactly one line on stderr matching `message`, nothing on stdout, nothing written. */
async function refused(f: ReturnType<typeof fleet>, args: string[], message: RegExp, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const before = snapshot(f);
  const r = await bootstrap(f, args, env);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(2);
  expect(snapshot(f)).toBe(before);
  return r.stderr;
}

function firstBoot(uplink: Partial<FirstBoot['host']['uplink']> = {}): FirstBoot {
  const text = stringify({ hosts: { pi1: { address: 'pi1.local' } } });
  const [host] = parseAndResolve('inventory.yaml', text, '/x').hosts;
  return {
    host: { ...host!, uplink: { ...host!.uplink, ...uplink } },
    authorizedKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGlcpDyqzvCx0wdSC8NwU6+ib6m0kuSpQELpD+xsrfrD op@ws',
    hostKey: { privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\nBBBB\n-----END OPENSSH PRIVATE KEY-----\n', publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0rraQxfdInu407oZto7lvOFr2+nqmDZi4ZwgT1liQa' },
    instanceId: 'camfleet-pi1-000000000000',
  };
}

describe('bootstrap: the files, read back by what reads them', () => {
  it('cloud-init: user-data is #cloud-config YAML that says what the issue asks, hostile Wi-Fi values round-trip', () => {
    const files = cloudInitFiles(firstBoot({ mode: 'wifi', ssid: hostileSsid, passphrase: hostilePass, country: 'GB' }));
    const [userData, network, meta] = files.map((f) => f.content) as [string, string, string];
    expect(userData.split('\n')[0]).toBe('#cloud-config');
    const u = parse(userData) as Record<string, any>;
    expect(u.hostname).toBe('pi1');
    expect(u.users).toEqual([{ name: 'pi', groups: ['sudo', 'video'], shell: '/bin/bash', sudo: 'ALL=(ALL) NOPASSWD:ALL', lock_passwd: true, ssh_authorized_keys: [firstBoot().authorizedKey] }]);
    expect(u.ssh_pwauth).toBe(false);
    expect(u.ssh_genkeytypes).toEqual([]);
    expect(u.ssh_keys).toEqual({ ed25519_private: firstBoot().hostKey.privateKey, ed25519_public: firstBoot().hostKey.publicKey });
    expect(u.timezone).toBe('Etc/UTC');
    expect(u.locale).toBe('false');
    const n = parse(network) as { network: { wifis: Record<string, { 'regulatory-domain': string; 'access-points': Record<string, { password: string }> }> } };
    expect(n.network.wifis.wlan0!['access-points']).toEqual({ [hostileSsid]: { password: hostilePass } });
    expect(n.network.wifis.wlan0!['regulatory-domain']).toBe('GB');
    expect(parse(meta)).toEqual({ 'instance-id': 'camfleet-pi1-000000000000', 'local-hostname': 'pi1' });
    expect(files.map((f) => [f.name, f.secret])).toEqual([['user-data', true], ['network-config', true], ['meta-data', false]]);
  });

  it('cloud-init: the shredding runcmd is valid sh and shellcheck-clean', () => {
    const u = parse(cloudInitFiles(firstBoot())[0]!.content) as { runcmd: string[][] };
    const script = u.runcmd[0]![2]!;
    expect(script).toContain("shred -u '/boot/firmware/user-data'");
    expect(spawnSync('sh', ['-n', '-c', script]).status).toBe(0);
    expect(spawnSync('shellcheck', ['--shell=sh', '-'], { input: script, encoding: 'utf8' }).stdout).toBe('');
  });

  it('firstrun.sh: valid sh, shellcheck-clean with hostile Wi-Fi values, which its keyfile keeps exactly', () => {
    const script = firstrunScript(firstBoot({ mode: 'wifi', ssid: hostileSsid, passphrase: hostilePass, country: 'GB' }));
    const check = spawnSync('shellcheck', ['--shell=sh', '--severity=style', '-'], { input: script, encoding: 'utf8' });
    expect(check.stdout).toBe('');
    expect(check.status).toBe(0);
    // The keyfile's printf line, run with its path swapped for a scratch file.
    const dir = mkdtempSync(join(tmpdir(), 'camfleet-firstrun-'));
    const line = script.split('\n').find((l) => l.includes('camfleet-uplink.nmconnection'))!;
    const out = join(dir, 'uplink');
    execFileSync('sh', ['-c', line.replace(shellQuote('/etc/NetworkManager/system-connections/camfleet-uplink.nmconnection'), shellQuote(out))]);
    const keyfile = readFileSync(out, 'utf8');
    expect(keyfile).toContain(`ssid=${[...Buffer.from(hostileSsid)].join(';')};\n`);
    expect(keyfile).toContain(`psk=${hostilePass.replaceAll('\\', '\\\\')}\n`);
  });

  it('cmdline.txt: the hook is appended once to the one line; a foreign first-boot command is refused', () => {
    const once = hookCmdline('console=tty1 root=PARTUUID=x rootwait\n');
    expect(once).toEqual({ ok: true, text: `console=tty1 root=PARTUUID=x rootwait ${cmdlineHook}\n` });
    expect(hookCmdline(once.ok ? once.text : '')).toEqual(once);
    expect(hookCmdline('root=x systemd.run=/boot/other.sh\n')).toMatchObject({ ok: false });
    expect(hookCmdline('root=x\nsecond line\n')).toMatchObject({ ok: false });
  });

  it('detects the route from the card: seed files mean cloud-init, none mean firstrun', () => {
    const fb = firstBoot();
    const card = (names: string[]) => ({ names: new Set(['config.txt', 'cmdline.txt', ...names]), text: { 'cmdline.txt': 'root=x\n' } });
    expect(planCard(card(['meta-data']), fb, {})).toMatchObject({ ok: true, format: 'cloud-init' });
    expect(planCard(card([]), fb, {})).toMatchObject({ ok: true, format: 'firstrun' });
    expect(planCard(card([]), fb, { format: 'cloud-init' })).toMatchObject({ ok: true, format: 'cloud-init' });
  });

  it('takes only an OpenSSH public key line', () => {
    expect(checkPublicKey('ssh-ed25519 AAAAC3Nz op@ws\n')).toEqual({ ok: true, key: 'ssh-ed25519 AAAAC3Nz op@ws' });
    expect(checkPublicKey('-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n')).toMatchObject({ ok: false });
    expect(checkPublicKey('ssh-ed25519 AAAA\nssh-ed25519 BBBB\n')).toMatchObject({ ok: false });
    expect(checkPublicKey('')).toMatchObject({ ok: false });
  });

  it('a .local mDNS name is a valid address', () => {
    expect(parseAddress('pi1.local')).toEqual({ kind: 'name', canonical: 'pi1.local' });
  });
});

describe('pinning a host key before first boot', () => {
  it('replaces a re-flashed Pi\'s entries (plain or hashed) and keeps every other line as it was', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'camfleet-known-')), 'known_hosts');
    const hashed = '|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|' + (await import('node:crypto')).createHmac('sha1', Buffer.from('c2FsdHNhbHRzYWx0c2FsdHNhbHQ=', 'base64')).update('pi1.local').digest('base64');
    writeFileSync(file, ['# mine', 'pi1.local ssh-ed25519 OLD1', `${hashed} ssh-ed25519 OLD2`, 'pi2.local ssh-ed25519 KEEP', 'pi1.local,other ssh-rsa SHARED', ''].join('\n'));
    await pinKnownKey(file, 'pi1.local', 22, 'ssh-ed25519', 'NEW');
    expect(readFileSync(file, 'utf8')).toBe(['# mine', 'pi2.local ssh-ed25519 KEEP', 'pi1.local,other ssh-rsa SHARED', 'pi1.local ssh-ed25519 NEW', ''].join('\n'));
    expect(indexKnownHosts(readFileSync(file, 'utf8')).lookup('pi1.local', 22).map((k) => k.blob)).toEqual(['SHARED', 'NEW']);
  });
});

describe('bootstrap command', () => {
  it('writes a card and pins the key; the Wi-Fi passphrase and the private key are never printed', async () => {
    const f = fleet({ uplink: { mode: 'wifi', ssid: hostileSsid, passphrase: { env: 'UPLINK_PASS' }, country: 'GB' } });
    writeFileSync(join(f.card, 'meta-data'), '');
    const r = await bootstrap(f, ['--host', 'pi1', '--boot', f.card], { UPLINK_PASS: 'correct horse battery' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('correct horse');
    expect(r.stdout).not.toMatch(/PRIVATE|b3BlbnNzaC1rZXktdjE/);
    expect(r.stdout).toMatch(/^pi1: host key ED25519 SHA256:[A-Za-z0-9+/]{43} pinned in /m);
    expect(readFileSync(f.knownHosts, 'utf8')).toMatch(/^pi1\.local ssh-ed25519 AAAA\S+\n$/);
    expect(readFileSync(join(f.card, 'network-config'), 'utf8')).toContain('correct horse battery');
  });

  it('--all --out writes one folder per host; provision-time loads never ask for the uplink passphrase', async () => {
    const f = fleet({ uplink: { mode: 'wifi', ssid: 'hall', passphrase: { env: 'UPLINK_PASS' }, country: 'GB' } });
    const r = await bootstrap(f, ['--all', '--out', join(f.dir, 'out'), '--format', 'firstrun'], { UPLINK_PASS: 'correct horse battery' });
    expect(r.code).toBe(0);
    expect(readdirSync(join(f.dir, 'out')).sort()).toEqual(['pi1', 'pi2']);
    expect(readdirSync(join(f.dir, 'out', 'pi1')).sort()).toEqual(['cmdline-append.txt', 'firstrun.sh']);
    expect(readFileSync(f.knownHosts, 'utf8').trim().split('\n').map((l) => l.split(' ')[0])).toEqual(['pi1.local', 'pi2.local']);
    const render = await camfleet(['render', '--inventory', f.inventory, '--host', 'pi1', '--out', join(f.dir, 'render')], { env: { UPLINK_PASS: '' } });
    expect(render.stderr).not.toContain('UPLINK_PASS');
    expect(render.code).toBe(0);
  });

  it('refuses an uplink Wi-Fi on the radio the hotspot takes over, at its line', async () => {
    const f = fleet(
      { uplink: { mode: 'wifi', ssid: 'hall', passphrase: 'correct horse battery', country: 'GB' } },
      { hotspot: { mode: 'hostapd', ssid: 'cam', passphrase: 'another long one', country: 'GB' } },
    );
    const line = await refused(f, ['--host', 'pi1', '--boot', f.card], /inventory\.yaml:\d+:\d+ defaults\.uplink\.mode: wlan0 is the radio the hotspot \(hostapd\) takes over/);
    expect(line).not.toContain('correct horse');
  });

  it('takes a second radio, named, beside the hotspot', async () => {
    const f = fleet(
      { uplink: { mode: 'wifi', interface: 'wlan1', ssid: 'hall', passphrase: 'correct horse battery', country: 'GB' } },
      { hotspot: { mode: 'hostapd', ssid: 'cam', passphrase: 'another long one', country: 'GB' } },
    );
    expect((await bootstrap(f, ['--host', 'pi1', '--boot', f.card, '--format', 'cloud-init'])).code).toBe(0);
  });

  it('refuses a host with no public key to install', async () => {
    const f = fleet({ ssh: { user: 'camop', knownHostsFile: 'known_hosts' } });
    await refused(f, ['--host', 'pi1', '--boot', f.card], /^camfleet: pi1: no public key to install: set ssh\.publicKeyFile/);
  });

  it('refuses a public key file that holds a private key', async () => {
    const f = fleet({ ssh: { user: 'camop', knownHostsFile: 'known_hosts', publicKeyFile: 'id_ed25519' } });
    await refused(f, ['--host', 'pi1', '--boot', f.card], /id_ed25519 is a private key: give the \.pub file/);
  });

  it('refuses a boot path that is not a Raspberry Pi boot partition', async () => {
    const f = fleet();
    const notBoot = join(f.dir, 'home');
    mkdirSync(notBoot);
    writeFileSync(join(notBoot, 'notes.txt'), 'mine\n');
    await refused(f, ['--host', 'pi1', '--boot', notBoot], /^camfleet: pi1: .*home is not a Raspberry Pi boot partition \(it has neither config\.txt nor cmdline\.txt\)/);
    expect(readdirSync(notBoot)).toEqual(['notes.txt']);
  });

  it('refuses a user-data it did not write unless --force, and never merges', async () => {
    const f = fleet();
    writeFileSync(join(f.card, 'user-data'), '#cloud-config\npackages: [vim]\n');
    await refused(f, ['--host', 'pi1', '--boot', f.card], /^camfleet: pi1: .* user-data is already there and was not written by camfleet; .*--force/);
    const r = await bootstrap(f, ['--host', 'pi1', '--boot', f.card, '--force']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(f.card, 'user-data'), 'utf8')).not.toContain('vim');
  });

  it('refuses a Wi-Fi passphrase WPA2 refuses, saying why without it', async () => {
    const f = fleet({ uplink: { mode: 'wifi', ssid: 'hall', passphrase: { env: 'UPLINK_PASS' }, country: 'GB' } });
    const line = await refused(f, ['--host', 'pi1', '--boot', f.card], /defaults\.uplink\.passphrase: must be 8-63 printable ASCII characters or 64 hex digits, as WPA2 takes it \(it has 7 characters\)/, { UPLINK_PASS: 'hunter2' });
    expect(line).not.toContain('hunter2');
  });

  it('writes nothing for any host when one of the selection is refused', async () => {
    const f = fleet({}, { ssh: { identityFile: 'missing' } });
    await refused(f, ['--all', '--out', join(f.dir, 'out'), '--format', 'cloud-init'], /^camfleet: pi1: no public key to install: .*missing\.pub cannot be read \(ENOENT\)/);
  });
});
