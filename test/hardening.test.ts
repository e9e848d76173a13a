// One regression test per defect found by trying camfleet as an attacker and as a clumsy operator
// would (issues 16 and 23). Each failed before its fix.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InventoryError, UsageError, formatProblem } from '../provision/core/errors.ts';
import { globMatch } from '../provision/core/glob.ts';
import { parseAndResolve } from '../provision/core/inventory/load.ts';
import { loadInventory, readSecretFile } from '../provision/converge/load-inventory.ts';
import { renderToDirectory } from '../provision/cli/render-to-directory.ts';
import { makePlan } from '../provision/core/plan/plan.ts';
import { formatPlan, planToJson } from '../provision/core/plan/format.ts';
import { sha256 } from '../provision/core/plan/files.ts';
import { paths } from '../provision/core/render/paths.ts';
import { renderHost } from '../provision/core/render/render.ts';
import { bundle, convergedObservation, templates, viewerAssets } from './support/fleet.ts';
import { systemdSkeleton } from './support/file-formats.ts';

const host = (extra = '', hostExtra = '') => `hosts:
  pi1:
    address: 192.168.1.21
${hostExtra}${extra}`;

function problems(yaml: string, env: NodeJS.ProcessEnv = {}, dir = '/nonexistent'): string[] {
  try {
    parseAndResolve('inventory.yaml', yaml, dir, { env, readSecretFile });
    return [];
  } catch (e) {
    if (e instanceof InventoryError) return e.problems.map(formatProblem);
    throw e;
  }
}

const scratch = () => mkdtempSync(join(tmpdir(), 'camfleet-hardening-'));

describe('1. a camera device cannot add lines to the streamer unit', () => {
  it('refuses NUL and other control characters at file:line:col', () => {
    expect(problems(host('    camera: { device: "file:/x\\0[Service]\\0ExecStartPre=+/bin/sh" }\n'))).toEqual([
      expect.stringMatching(/^inventory\.yaml:4:23 hosts\.pi1\.camera\.device: must be \/dev\/videoN/),
    ]);
  });
  it('refuses a device path longer than a path can be (PATH_MAX), at its place, before systemd-analyze would', () => {
    expect(problems(host(`    camera: { device: /dev/v4l/by-id/${'a'.repeat(2 * 1024 * 1024)} }\n`))).toEqual([
      'inventory.yaml:4:23 hosts.pi1.camera.device: must be at most 4095 characters (it has 2097167)',
    ]);
    expect(problems(host(`    camera: { device: /dev/v4l/by-id/${'a'.repeat(4095 - 15)} }\n`))).toEqual([]);
  });
  it('escapes what a unit treats specially (% specifiers, backslashes) in the value it renders', () => {
    const [h] = parseAndResolve('i.yaml', host('    camera: { device: "file:/tmp/a%n\\\\x20b" }\n'), '/', {}).hosts;
    const unit = renderHost(h!, { templates, streamerBundle: bundle, viewerAssets }).files.find((f) => f.path === paths.streamerUnit)!.content;
    expect(unit).toContain('file:/tmp/a%%n\\\\x20b');
    // Even a host that bypassed the inventory (a NUL in a resolved value) cannot render a unit.
    expect(() => renderHost({ ...h!, camera: { ...h!.camera, device: 'file:/x\0[Service]' } }, { templates, streamerBundle: bundle, viewerAssets })).toThrow(
      /camera\.device: a control character/,
    );
  });
});

describe('2. the SSID cannot add keys or sections to the NetworkManager keyfile', () => {
  const nm = (ssid: string) => host(`    hotspot: { mode: networkmanager, country: GB, passphrase: "correct horse", ssid: ${JSON.stringify(ssid)} }\n`);
  it('refuses a newline in an SSID', () => {
    expect(problems(nm('cam\nhidden=true'))).toEqual([expect.stringMatching(/hosts\.pi1\.hotspot\.ssid: must not contain control characters/)]);
  });
  it('writes the SSID as bytes, so `;`, `\\` and a leading space read back exactly', () => {
    const [h] = parseAndResolve('i.yaml', nm(' 1;2\\'), '/', {}).hosts;
    const keyfile = renderHost(h!, { templates, streamerBundle: bundle, viewerAssets }).files.find((f) => f.path === paths.nmConnection)!.content;
    expect(keyfile).toContain(`ssid=${[...Buffer.from(' 1;2\\')].join(';')};`);
  });
});

describe('3. render --out never removes what it did not write', () => {
  it('refuses to replace a folder of the same name as a host that render did not write, and changes nothing', async () => {
    const out = scratch();
    mkdirSync(join(out, 'pi1'));
    writeFileSync(join(out, 'pi1', 'precious'), 'keep me');
    const inv = parseAndResolve('i.yaml', host(), '/', {});
    await expect(renderToDirectory(inv.hosts, { templates, streamerBundle: bundle, viewerAssets }, out)).rejects.toThrow(UsageError);
    expect(readFileSync(join(out, 'pi1', 'precious'), 'utf8')).toBe('keep me');
  });
  it('replaces its own earlier output, and refuses an --out that is a file', async () => {
    const out = scratch();
    const inv = parseAndResolve('i.yaml', host(), '/', {});
    await renderToDirectory(inv.hosts, { templates, streamerBundle: bundle, viewerAssets }, out);
    await renderToDirectory(inv.hosts, { templates, streamerBundle: bundle, viewerAssets }, out);
    expect(existsSync(join(out, 'pi1', 'manifest.json'))).toBe(true);
    writeFileSync(join(out, 'file'), '');
    await expect(renderToDirectory(inv.hosts, { templates, streamerBundle: bundle, viewerAssets }, join(out, 'file'))).rejects.toThrow(/is not a directory/);
  });
  it('keeps no checksum of a passphrase-bearing file in the world-readable manifest', async () => {
    const out = scratch();
    const inv = parseAndResolve('i.yaml', host('    hotspot: { mode: hostapd, country: GB, passphrase: "correct horse", ssid: cam }\n'), '/', {});
    await renderToDirectory(inv.hosts, { templates, streamerBundle: bundle, viewerAssets }, out);
    const manifest = JSON.parse(readFileSync(join(out, 'pi1', 'manifest.json'), 'utf8'));
    const hostapd = manifest.files.find((f: { path: string }) => f.path === paths.hostapdConf);
    expect(hostapd).toEqual(expect.objectContaining({ sensitive: true }));
    expect(hostapd.sha256).toBeUndefined();
  });
});

describe('4. secret stream keys', () => {
  const keyFrom = (file: string) => host(`    stream: { key: { file: ${JSON.stringify(file)} } }\n`);
  it('holds a key read from a file to the key pattern, without quoting it', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'shadow'), 'root:$y$j9T$abc:19000:0:99999:7:::\n');
    const found = problems(keyFrom('shadow'), {}, dir);
    expect(found).toEqual([expect.stringMatching(/hosts\.pi1\.stream\.key: secret: the stream key it holds may only contain/)]);
    expect(found.join('\n')).not.toContain('root:');
  });
  it('refuses an empty key file at its place, as it refuses an empty inline key (the streamer would refuse it on the Pi)', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'empty'), '');
    writeFileSync(join(dir, 'newline'), '\n');
    expect(problems(keyFrom('empty'), {}, dir)).toEqual([expect.stringMatching(/^inventory\.yaml:4:\d+ hosts\.pi1\.stream\.key: secret: file .*empty is empty$/)]);
    expect(problems(keyFrom('newline'), {}, dir)).toEqual([expect.stringMatching(/hosts\.pi1\.stream\.key: secret: file .*newline is empty$/)]);
  });
  it('says what is wrong with a key or a secret reference, not that it is neither a value nor a reference', () => {
    const stream = (key: string) => host(`    stream: { key: ${key} }\n`);
    expect(problems(stream('k'.repeat(300)))).toEqual(['inventory.yaml:4:20 hosts.pi1.stream.key: must be at most 256 characters (it has 300)']);
    expect(problems(stream('"cam!"'))).toEqual(['inventory.yaml:4:20 hosts.pi1.stream.key: may only contain letters, digits, _ and -']);
    expect(problems(stream('{ env: "not a name" }'))).toEqual(['inventory.yaml:4:27 hosts.pi1.stream.key.env: must be an environment variable name']);
    expect(problems(stream('{ file: "" }'))).toEqual(['inventory.yaml:4:28 hosts.pi1.stream.key.file: must not be empty']);
    expect(problems(host('    hotspot: { passphrase: "correct\\thorse" }\n'))).toEqual(['inventory.yaml:4:28 hosts.pi1.hotspot.passphrase: must not contain control characters (newline, tab, NUL, ...)']);
    // Where it is neither, that is what it is told.
    expect(problems(stream('{ env: KEY, file: key }'))).toEqual([expect.stringMatching(/stream\.key: must be a plain value or a secret reference/)]);
    // A secret's value is not quoted, but its fault is said.
    const dir = scratch();
    writeFileSync(join(dir, 'long'), 'k'.repeat(300));
    expect(problems(keyFrom('long'), {}, dir)).toEqual(['inventory.yaml:4:15 hosts.pi1.stream.key: secret: the stream key it holds has 300 characters; at most 256']);
  });
  it('refuses a huge file and a FIFO at once (the FIFO would block forever)', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'big'), Buffer.alloc(10 * 1024 * 1024, 'a'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    expect(problems(keyFrom('big'), {}, dir)).toEqual([expect.stringMatching(/is 10485760 bytes; a secret file holds at most 4096/)]);
    expect(problems(keyFrom('fifo'), {}, dir)).toEqual([expect.stringMatching(/is not a regular file/)]);
  });
  it('shows no old key in --diff or the JSON diff after a rotation', () => {
    const yaml = host('    stream: { key: { env: KEY } }\n');
    const [before] = parseAndResolve('i.yaml', yaml, '/', { env: { KEY: 'oldSecretKey1' } }).hosts;
    const [after] = parseAndResolve('i.yaml', yaml, '/', { env: { KEY: 'newSecretKey2' } }).hosts;
    const old = renderHost(before!, { templates, streamerBundle: bundle, viewerAssets }).files.find((f) => f.path === paths.streamKey)!;
    const desired = renderHost(after!, { templates, streamerBundle: bundle, viewerAssets });
    // The key travels in a file of its own; streamer.json holds no key at all.
    expect(desired.files.find((f) => f.path === paths.streamerConfig)!.content).not.toContain('newSecretKey2');
    expect(desired.files.find((f) => f.path === paths.streamKey)!.content).toContain('newSecretKey2');
    const observed = convergedObservation(desired);
    observed.files[paths.streamKey] = { ...observed.files[paths.streamKey]!, sha256: sha256(old.content) };
    const plan = makePlan(desired, observed, { [paths.streamKey]: old.content });
    const text = formatPlan(plan, { diff: true }) + JSON.stringify(planToJson(plan));
    expect(text).toContain(paths.streamKey);
    expect(text).not.toContain('oldSecretKey1');
    expect(text).not.toContain('newSecretKey2');
  });
});

describe('5. configs that would fail on the Pi are refused', () => {
  const hotspot = (fields: string) => host(`    hotspot: { mode: networkmanager, ssid: cam, ${fields} }\n`);
  it.each([
    ['an empty passphrase', hotspot('country: GB, passphrase: ""'), /hotspot\.passphrase: must be 8-63 printable/],
    ['a NetworkManager hotspot without a country', hotspot('passphrase: "correct horse"'), /country is required when hotspot\.mode is networkmanager/],
    ['the stream port equal to the stat port', host('    stream: { port: 8080, statPort: 8080 }\n'), /stream\.statPort: is the same port as stream\.port/],
    ['a publish allow-list without the Pi itself', host('    access: { publish: [] }\n'), /access\.publish: must admit 127\.0\.0\.1/],
    ['a NetworkManager hotspot on channel 15 (band=a, channel=15: NetworkManager rejects it)', hotspot('country: GB, passphrase: "correct horse", channel: 15'), /^inventory\.yaml:4:\d+ hosts\.pi1\.hotspot\.channel: use 1-14 \(2\.4 GHz\) or 36-48/],
    ['a hotspot subnet containing the Pi', hotspot('country: GB, passphrase: "correct horse", address: 192.168.1.1, dhcpStart: 192.168.1.100, dhcpEnd: 192.168.1.200'), /contains the Pi's own address 192\.168\.1\.21/],
  ])('%s', (_, yaml, message) => {
    expect(problems(yaml)).toEqual([expect.stringMatching(message)]);
  });
  it('checks each allow-list entry as nginx reads it, at its own place, before nginx -t would', () => {
    const form = 'must be all, an IP address or a CIDR such as 192.168.1.0/24';
    expect(problems(host('    access:\n      publish: [127.0.0.1, "10.0.0.1/40"]\n      play: ["999.999.999.999/99", cafe]\n      stat: ["::::", "fd00::/129"]\n'))).toEqual([
      `inventory.yaml:5:28 hosts.pi1.access.publish.1: ${form}: /40 is not a prefix length of IPv4 (0-32)`,
      `inventory.yaml:6:14 hosts.pi1.access.play.0: ${form}: 999.999.999.999 is not an IPv4 address: four numbers 0-255 without leading zeros, e.g. 192.168.1.21`,
      `inventory.yaml:6:36 hosts.pi1.access.play.1: ${form}: cafe is a name: nginx allows addresses, not names`,
      `inventory.yaml:7:14 hosts.pi1.access.stat.0: ${form}: :::: is not an IPv6 address`,
      `inventory.yaml:7:22 hosts.pi1.access.stat.1: ${form}: /129 is not a prefix length of IPv6 (0-128)`,
    ]);
    // What the schema's pattern already refuses (editors show it too) reads the same.
    expect(problems(host('    access: { play: [pi.local, "1.2.3.4/8/8"] }\n'))).toEqual([
      `inventory.yaml:4:22 hosts.pi1.access.play.0: ${form}`,
      `inventory.yaml:4:32 hosts.pi1.access.play.1: ${form}`,
    ]);
    expect(problems(host('    access: { publish: [127.0.0.1, "::1", 10.0.0.0/8, "fd00::/64"], play: [all, "0:0:0:0:0:0:0:1/128"] }\n'))).toEqual([]);
  });
  it('says an entry set in defaults once, however many hosts take it', () => {
    expect(problems(`defaults: { access: { play: [cafe] } }\n${host()}  pi2:\n    address: 192.168.1.22\n`)).toEqual([
      expect.stringMatching(/^inventory\.yaml:1:30 defaults\.access\.play\.0: must be all, an IP address or a CIDR/),
    ]);
  });
  it('names a dashed interface\'s device unit the way systemd does', () => {
    const [h] = parseAndResolve('i.yaml', host('    hotspot: { mode: hostapd, interface: wlan-ap, country: GB, passphrase: "correct horse", ssid: cam }\n'), '/', {}).hosts;
    const unit = renderHost(h!, { templates, streamerBundle: bundle, viewerAssets }).files.find((f) => f.path === paths.hotspotAddressUnit)!.content;
    expect(unit).toContain('After=camfleet-wifi-country.service sys-subsystem-net-devices-wlan\\x2dap.device');
    expect(systemdSkeleton(unit)).not.toContain('Unit/!malformed');
  });
});

describe('6. addresses and jump hosts', () => {
  it.each([
    ['a shell command', '"10.0.0.1; touch /tmp/pwned"', /address: must be an IP address or a DNS name/],
    ['an IPv4 address with a leading zero', '192.0.2.01', /address: is not an IPv4 address/],
  ])('refuses %s as an address', (_, address, message) => {
    expect(problems(`hosts:\n  pi1:\n    address: ${address}\n`)).toEqual([expect.stringMatching(message)]);
  });
  it.each([
    ['a hex-dotted name resolvers read as an IPv4 address', '0xc0.0.2.1', /^inventory\.yaml:3:14 hosts\.pi1\.address: is not an IPv4 address as written: resolvers read it as 192\.0\.2\.1/],
    ['a bare number resolvers read as an IPv4 address', '"3221225985"', /address: is not an IPv4 address as written: resolvers read it as 192\.0\.2\.1/],
    ['a short dotted number', '10.1.2', /address: is not an IPv4 address as written: resolvers read it as 10\.1\.0\.2/],
    ['colons alone', '"::::"', /^inventory\.yaml:3:14 hosts\.pi1\.address: is not an IPv6 address$/],
    ['three groups of IPv6', '"1:2:3"', /address: is not an IPv6 address$/],
  ])('refuses %s', (_, address, message) => {
    expect(problems(`hosts:\n  pi1:\n    address: ${address}\n`)).toEqual([expect.stringMatching(message)]);
  });
  it('compares addresses in their canonical form: one IPv6 address written two ways is one Pi', () => {
    expect(problems('hosts:\n  a:\n    address: "::1"\n  b:\n    address: "0:0:0:0:0:0:0:1"\n')).toEqual([
      'inventory.yaml:5:14 hosts.b.address: address 0:0:0:0:0:0:0:1 is already used by host a (written there as ::1)',
    ]);
    expect(problems('hosts:\n  a:\n    address: "fd00::1"\n  b:\n    address: "FD00:0::2"\n  c:\n    address: pi-c.local\n')).toEqual([]);
  });
  it('compares addresses as names, whatever their case', () => {
    expect(problems('hosts:\n  a:\n    address: pi.local\n  b:\n    address: PI.local\n')).toEqual([expect.stringMatching(/address PI\.local is already used by host a/)]);
  });
  it('range-checks the jump host port', () => {
    expect(problems(host('    ssh: { jump: "pi@bastion:70000" }\n'))).toEqual([expect.stringMatching(/ssh\.jump: jump host port 70000 is not a TCP port/)]);
  });
});

describe('7. robustness', () => {
  it('an alias bomb and very deep nesting are problems, not crashes', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`), 'hosts: *i'].join('\n');
    expect(problems(bomb)).toEqual([expect.stringMatching(/^inventory\.yaml:1:1 YAML: aliases expand to too much data/)]);
    expect(problems(`hosts: ${'['.repeat(20000)}${']'.repeat(20000)}`)).toEqual([expect.stringMatching(/^inventory\.yaml:1:1 YAML: nested too deeply|YAML: /)]);
  });
  it('keys 1 and "1" are one host written twice', () => {
    expect(problems('hosts:\n  1:\n    address: 10.0.0.1\n  "1":\n    address: 10.0.0.2\n')).toEqual([
      expect.stringMatching(/^inventory\.yaml:4:3 YAML: duplicate key/),
    ]);
  });
  it('a byte that is not UTF-8 is an error at its place', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'inventory.yaml'), Buffer.concat([Buffer.from('hosts:\n  pi1:\n    address: 10.0.0.1\n    camera: { device: "file:/x'), Buffer.from([0xff]), Buffer.from('" }\n')]));
    await expect(loadInventory(join(dir, 'inventory.yaml'))).rejects.toThrow(/inventory\.yaml:4:\d+ is not UTF-8 text/);
  });
  it('an oversized inventory is refused before it is parsed', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'inventory.yaml'), `# ${'x'.repeat(9 * 1024 * 1024)}\nhosts: {}\n`);
    await expect(loadInventory(join(dir, 'inventory.yaml'))).rejects.toThrow(/at most 8388608 are read/);
  });
  it('--limit globs match in linear time (ten stars against a name that does not match)', () => {
    expect(globMatch('*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(200))).toBe(false);
    expect(globMatch('pi*', 'pi12')).toBe(true);
    expect(globMatch('hall-?', 'hall-1')).toBe(true);
    expect(globMatch('hall-?', 'hall-12')).toBe(false);
  });
  it('one set of flag rules for every command: --parallel 0 and --max-failures 200% are refused by status and provision alike', () => {
    // A host that refuses at once, should a bad flag get past the command line.
    const dir = scratch();
    writeFileSync(join(dir, 'inventory.yaml'), 'hosts:\n  pi1:\n    address: 127.0.0.1\n    ssh: { port: 9 }\n');
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'provision/cli/main.ts', ...args, '-i', join(dir, 'inventory.yaml'), '--host', 'pi1'], { encoding: 'utf8' });
    for (const command of ['status', 'provision']) {
      for (const bad of ['0', 'lots']) {
        const r = run(command, '--parallel', bad);
        expect(r.stderr, `${command} --parallel ${bad}`).toContain(`camfleet: --parallel takes a whole number from 1 to 10000, not '${bad}'`);
        expect(r.status).toBe(2);
      }
    }
    for (const bad of ['200%', '5 %']) {
      const r = run('provision', '--max-failures', bad);
      expect(r.stderr, `--max-failures ${bad}`).toContain(`camfleet: --max-failures takes a count or a percentage from 0% to 100%, not '${bad}'`);
      expect(r.status).toBe(2);
    }
  });
  it('bad --report, --connect-timeout, --health-startup are refused with exit 2 before any host is touched', () => {
    const run = (...args: string[]) => spawnSync('npx', ['tsx', 'provision/cli/main.ts', 'provision', '--host', 'pi1', ...args], { encoding: 'utf8' });
    const dir = run('--report', tmpdir());
    expect(dir.status).toBe(2);
    expect(dir.stderr).toMatch(/--report .* is a directory; name a file/);
    const huge = run('--connect-timeout', '99999999999');
    expect(huge.status).toBe(2);
    expect(huge.stderr).toMatch(/--connect-timeout takes a whole number from 1 to 3600/);
    const startup = run('--health-startup', '0');
    expect(startup.status).toBe(2);
    expect(startup.stderr).toContain("camfleet: --health-startup takes a whole number from 1 to 3600, not '0'");
  });
});
