// The observe script's output parsed into facts: one section per fact, each read by its own
// parser. Two facts pass their tool's output straight through (sha256sum's lines, `systemctl
// show`'s blocks): their shapes are what the parsers must recognise, so they are copied here as a
// lab Pi wrote them (the units' order shuffled: they are found by name). Whole recorded answers of
// real hosts are in test/fixtures/observe/ (observe-fixtures.test.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseObserved } from '../provision/facts/observe/parse.ts';
import { observeScript } from '../provision/facts/observe/script.ts';

const desired = {
  packages: ['nginx', 'libnginx-mod-rtmp', 'ffmpeg', 'nodejs', 'hostapd'],
  units: [{ name: 'nginx.service' }, { name: 'camfleet-streamer.service' }, { name: 'hostapd.service' }, { name: 'camfleet-hotspot.service' }],
} as Parameters<typeof parseObserved>[1];

const output = `@fact ssh-interface
cfl1p
@fact os
debian 12
@fact packages
dpkg\tii \tamd64
ffmpeg\tii \tamd64
libnginx-mod-rtmp\tii \tamd64
nginx\tii \tamd64
nodejs\trc \tamd64
@fact files
-\t/etc/hostapd/hostapd.conf
00a7b5ca2f17956add227b57bd928a5c03933de47ff367e052dffc6409260f5a  /etc/nginx/nginx.conf
ad0c7fdfac8677a32919f431e1ef4bb004f7cc54e73482ce36af737951333ea8  /etc/camfleet/streamer.json
meta\t/etc/nginx/nginx.conf\t644\troot\troot
meta\t/etc/camfleet/streamer.json\t600\troot\troot
managed\t/etc/nginx/nginx.conf
@fact leftovers
@fact dirs
@fact units
Names=nginx.service
MainPID=36
LoadState=loaded
ActiveState=active
UnitFileState=enabled
NeedDaemonReload=yes

Names=hostapd.service
MainPID=0
LoadState=masked
ActiveState=inactive
UnitFileState=masked

Names=camfleet-streamer.service
MainPID=0
LoadState=loaded
ActiveState=failed
UnitFileState=disabled
NeedDaemonReload=no

Names=camfleet-hotspot.service
MainPID=0
LoadState=not-found
ActiveState=inactive
UnitFileState=

@fact camera
1
@fact pending
restart\tcamfleet-streamer.service
@fact encoders
`;

describe('parseObserved', () => {
  const o = parseObserved(output, desired);

  it('reads packages: only "ii" is installed, one dpkg never mentioned is not, dpkg itself is not listed', () => {
    expect(o.packages).toEqual({ nginx: true, 'libnginx-mod-rtmp': true, ffmpeg: true, nodejs: false, hostapd: false });
  });

  it("reads files from sha256sum's own lines plus their mode, owner and marker; a missing one is null", () => {
    expect(o.files['/etc/nginx/nginx.conf']).toEqual({
      sha256: '00a7b5ca2f17956add227b57bd928a5c03933de47ff367e052dffc6409260f5a',
      mode: 0o644,
      owner: 'root',
      group: 'root',
      managed: true,
    });
    expect(o.files['/etc/camfleet/streamer.json']).toMatchObject({ mode: 0o600, managed: false });
    expect(o.files['/etc/hostapd/hostapd.conf']).toBeNull();
  });

  it("gives each unit the systemctl show block that names it, whatever the order", () => {
    expect(o.units).toEqual({
      // Its drop-in changed since systemd loaded it: NeedDaemonReload=yes.
      'nginx.service': { enabled: 'enabled', active: 'active', mainPid: 36, needsReload: true },
      'camfleet-streamer.service': { enabled: 'disabled', active: 'failed', mainPid: 0 },
      'hostapd.service': { enabled: 'masked', active: 'inactive', mainPid: 0 },
      'camfleet-hotspot.service': { enabled: 'not-found', active: 'inactive', mainPid: 0 },
    });
  });

  it("reads the OS, the architecture from dpkg's line, the SSH interface, the camera and pending restarts", () => {
    expect(o.os).toEqual({ id: 'debian', version: '12', arch: 'amd64' });
    expect(o.sshInterface).toBe('cfl1p');
    expect(o.camera).toBe(true);
    expect(o.pending).toEqual([{ action: 'restart', unit: 'camfleet-streamer.service' }]);
  });

  it('a host where systemctl printed nothing has no unit facts rather than wrong ones; a fact with no section is left at its default', () => {
    const bare = parseObserved('@fact os\ndebian 12\n@fact units\n\n', desired);
    expect(bare.units).toEqual({});
    expect(bare.os).toEqual({ id: 'debian', version: '12', arch: '' });
    expect(bare.camera).toBe(false);
  });

  it('finds a unit asked for by an alias (ssh.service is also sshd.service), and ignores a block naming no unit asked for', () => {
    const aliased = parseObserved('@fact units\nNames=ssh.service sshd.service\nMainPID=7\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\n\nNames=other.service\nActiveState=failed\n', { packages: [], units: [{ name: 'sshd.service' }] });
    expect(aliased.units).toEqual({ 'sshd.service': { enabled: 'enabled', active: 'active', mainPid: 7 } });
  });

  it('a line before the first section, or a section no fact owns, is not read as a fact', () => {
    const odd = parseObserved('1\n@fact cameras\n1\n@fact camera\n0\n', desired);
    expect(odd.camera).toBe(false);
  });
});

describe('staging leftovers', () => {
  it('the observe script lists, beside each file camfleet writes, the temp files a run staged and never committed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'camfleet leftovers '));
    for (const f of ['app.conf', '.app.conf.camfleet-Ab12Cd', '.app.conf.camfleet-XXXXXX.swp', '.other', 'x.camfleet-Ab12Cd']) writeFileSync(join(dir, f), 'x');
    const state = {
      packages: [],
      units: [],
      files: [{ path: join(dir, 'app.conf'), content: '', mode: 0o644, owner: 'root', group: 'root' }],
      absent: [],
      camera: { device: 'lavfi:testsrc2', encoder: 'libx264' },
    } as unknown as Parameters<typeof observeScript>[0];
    const out = execFileSync('sh', ['-s'], { input: observeScript(state), encoding: 'utf8' });
    expect(parseObserved(out, state).leftovers).toEqual([join(dir, '.app.conf.camfleet-Ab12Cd')]);
  });
});

describe('folders to remove', () => {
  it('the observe script names each folder that is there and what it holds beyond its patterns', () => {
    const root = mkdtempSync(join(tmpdir(), 'camfleet dirs '));
    const hls = join(root, 'hls');
    const page = join(root, 'page');
    execFileSync('mkdir', [hls, page, join(page, 'sub')]);
    for (const f of ['cam.m3u8', 'cam-1.ts', 'cam-2.ts']) writeFileSync(join(hls, f), 'x');
    for (const f of ['index.html', '.hidden']) writeFileSync(join(page, f), 'x');
    const state = {
      packages: [],
      units: [],
      files: [],
      absent: [],
      absentDirs: [
        { path: hls, files: ['*.m3u8', '*.ts'] },
        { path: page, files: [] },
        { path: join(root, 'never-made'), files: ['*'] },
      ],
      camera: { device: 'lavfi:testsrc2', encoder: 'libx264' },
    } as unknown as Parameters<typeof observeScript>[0];
    const out = execFileSync('sh', ['-s'], { input: observeScript(state), encoding: 'utf8' });
    const dirs = parseObserved(out, state).dirs!;
    expect(Object.keys(dirs).sort()).toEqual([hls, page]);
    expect(dirs[hls]).toEqual([]);
    expect([...dirs[page]!].sort()).toEqual([join(page, '.hidden'), join(page, 'index.html'), join(page, 'sub')]);
  });

  it('a pattern that is more than a file name pattern is refused before any shell sees it', () => {
    const state = { packages: [], units: [], files: [], absent: [], absentDirs: [{ path: '/tmp/x', files: ['../*'] }], camera: { device: 'lavfi:', encoder: 'libx264' } };
    expect(() => observeScript(state as unknown as Parameters<typeof observeScript>[0])).toThrow(/not a plain file name pattern/);
  });
});
