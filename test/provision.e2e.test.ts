// `npm run provision` against a real lab Pi (Debian bookworm, systemd PID 1, sshd), from a fresh
// image: apt installs for real, nginx-rtmp serves, the streamer publishes, ffprobe reads it here.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerDown, containerUp } from '../lab/container.ts';
import type { LabHost } from '../lab/state.ts';
import { camfleet, root } from './support/cli.ts';
import { ffprobe, labUnavailable, mainPid, onHost, provisionAgainChangesNothing, provisionFresh, waitForStream, writeInventory, type Edit } from './support/lab.ts';

interface Report {
  exitCode: number;
  hosts: { host: string; outcome: string; plan: { changes: number; steps: { kind: string; path?: string; unit?: string; action?: string; diff?: string }[] } | null; error: string | null }[];
}
const report = (stdout: string): Report => JSON.parse(stdout) as Report;

const why = labUnavailable();
if (why) console.warn(`skipping provision end-to-end tests: ${why}`);

describe.skipIf(!!why)('provision a lab Pi end to end', () => {
  let pi: LabHost;
  let inventory: string;
  let edit: Edit = () => {};
  const url = () => `rtmp://${pi.address}:1935/live/cam`;
  const provision = (...args: string[]) => camfleet(['provision', '--inventory', inventory, '--host', pi.name, ...args]);

  beforeAll(async () => {
    [pi] = (await containerUp({ hosts: 1, layer: 'base' })) as [LabHost];
    inventory = writeInventory([pi]);
  });
  afterAll(async () => {
    if (!why) await containerDown();
  });

  it('takes a fresh Pi to streaming: nginx-rtmp listening, streamer active, stream readable here', async () => {
    await provisionFresh(pi, provision);
    const stream = await waitForStream(url());
    expect(stream).toEqual({ codec: 'h264', width: 640, height: 360, fps: '15/1' });
  });

  it('a second run reports 0 changes and restarts nothing', () => provisionAgainChangesNothing(pi, provision));

  it('a bitrate change rewrites only the streamer config and restarts only the streamer (camfleet-webrtc takes the new encode as a new RTP stream)', async () => {
    const nginxPid = mainPid(pi, 'nginx');
    const streamerPid = mainPid(pi, 'camfleet-streamer');
    const webrtcPid = mainPid(pi, 'camfleet-webrtc');
    edit = (doc) => {
      doc.hosts.lab1 = { ...doc.hosts.lab1, camera: { bitrate: '600k' } };
    };
    inventory = writeInventory([pi], edit);
    const r = await provision('--json');
    expect(r.code).toBe(0);
    const steps = report(r.stdout).hosts[0]?.plan?.steps ?? [];
    // The whole plan apply ran: the Pi locked, the one file staged, committed owing the restart, the restart, the note cleared, the check.
    expect(steps.map((s) => `${s.kind} ${s.path ?? s.unit ?? ''}`.trim())).toEqual([
      'lock /run/camfleet.lock',
      'write-file /etc/camfleet/streamer.json',
      // camfleet's version of the config (parts/metrics.ts) changes with any change.
      'write-file /etc/camfleet/config-version',
      'commit-files',
      'restart camfleet-streamer.service',
      'clear-pending',
      'verify',
      // A camera Pi that changed: its stream must be LIVE again before the run is a success.
      'health-gate',
    ]);
    expect(mainPid(pi, 'nginx')).toBe(nginxPid);
    expect(mainPid(pi, 'camfleet-streamer')).not.toBe(streamerPid);
    expect(mainPid(pi, 'camfleet-webrtc')).toBe(webrtcPid);
    expect(onHost(pi, 'sudo cat /etc/camfleet/streamer.json')).toContain('"bitrate": 600000');
    await waitForStream(url());
  });

  it('refuses a config nginx -t rejects on the host: previous config kept, nginx still serving, exit 1 naming the file', async () => {
    const before = onHost(pi, 'sha256sum /etc/nginx/nginx.conf');
    const nginxPid = mainPid(pi, 'nginx');
    // A fixture template that renders fine but that nginx refuses.
    const templates = join(mkdtempSync(join(tmpdir(), 'camfleet-tpl-')), 'templates');
    cpSync(join(root, 'templates'), templates, { recursive: true });
    const conf = join(templates, '_nginx-rtmp.hbs'); // the RTMP block, in a partial both nginx configs share
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('live on;', 'live sometimes;'));
    const r = await provision('--templates', templates);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('/etc/nginx/nginx.conf');
    expect(r.stdout + r.stderr).toMatch(/invalid value "sometimes"/);
    expect(onHost(pi, 'sha256sum /etc/nginx/nginx.conf')).toBe(before);
    expect(onHost(pi, 'ls -A /etc/nginx | grep -c camfleet || true').trim()).toBe('0'); // no staged file left behind
    expect(mainPid(pi, 'nginx')).toBe(nginxPid);
    expect(ffprobe(url()).codec).toBe('h264');
  });

  it('--check: exit 0 when converged; a hand edit on the host is reported as drift with a diff, exit 3', async () => {
    const clean = await provision('--check');
    expect(clean.code).toBe(0);
    onHost(pi, `echo '# tuned by hand' | sudo tee -a /etc/nginx/nginx.conf >/dev/null`);
    const drift = await provision('--check', '--diff');
    expect(drift.code).toBe(3);
    expect(drift.stdout).toMatch(/update \/etc\/nginx\/nginx\.conf/);
    expect(drift.stdout).toMatch(/^\s*-# tuned by hand$/m);
    expect(onHost(pi, 'tail -1 /etc/nginx/nginx.conf').trim()).toBe('# tuned by hand'); // --check changed nothing
    const fix = await provision();
    expect(fix.code).toBe(0);
    expect((await provision('--check')).code).toBe(0);
  });

  it('keeps strict host-key checking: an unknown key is refused (exit 4) unless trusted explicitly, a changed key always', async () => {
    const knownHosts = join(mkdtempSync(join(tmpdir(), 'camfleet-kh-')), 'known_hosts');
    const inv = writeInventory([pi], (doc) => {
      edit(doc);
      (doc.defaults.ssh as Record<string, unknown>).knownHostsFile = knownHosts;
    });
    const run = (...args: string[]) => camfleet(['provision', '--inventory', inv, '--host', pi.name, '--check', ...args]);
    const unknown = await run();
    expect(unknown.code).toBe(4);
    expect(unknown.stdout + unknown.stderr).toContain('is not in');
    const trusted = await run('--trust-new-host-keys');
    expect(trusted.code).toBe(0);
    expect(readFileSync(knownHosts, 'utf8')).toContain(pi.hostKey.split(' ')[1]);
    // Another host's key recorded under this address: a mismatch, refused even with the opt-in.
    writeFileSync(knownHosts, `${pi.address} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGUmR1rH9Q5l3wQ6dZtq1mO0a9m1pZb0c2oN7o9GZr1E\n`);
    const changed = await run('--trust-new-host-keys');
    expect(changed.code).toBe(4);
    expect(changed.stdout + changed.stderr).toContain('HOST KEY MISMATCH');
  });

  it('refuses to reconfigure the interface this SSH connection runs over, unless told to', async () => {
    // The lab Pi's only interface is its veth: a hotspot on it would cut the operator off.
    const inv = writeInventory([pi], (doc) => {
      edit(doc);
      doc.hosts.lab1 = { ...doc.hosts.lab1, hotspot: { mode: 'hostapd', interface: 'cfl1p', ssid: 'cam', passphrase: 'correct-horse-battery', country: 'GB' } };
    });
    const before = onHost(pi, 'ls /etc/hostapd 2>/dev/null; dpkg -l hostapd 2>/dev/null | grep -c ^ii || true');
    const r = await camfleet(['provision', '--inventory', inv, '--host', pi.name]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/safety check.*runs over cfl1p, the interface the hotspot takes over/s);
    expect(r.stdout + r.stderr).toContain('--allow-ssh-cutoff');
    expect(onHost(pi, 'ls /etc/hostapd 2>/dev/null; dpkg -l hostapd 2>/dev/null | grep -c ^ii || true')).toBe(before); // nothing applied
    const check = await camfleet(['provision', '--inventory', inv, '--host', pi.name, '--check']);
    expect(check.code).toBe(3);
    expect(check.stdout).toMatch(/runs over cfl1p/);
  });
});
