// The pure render: the files a Pi gets, deterministic, in the right shape for the tools that read them.
import { metricsPaths } from '../provision/core/parts/metrics.ts';
import { describe, expect, it } from 'vitest';
import { parseStreamKey, validateStreamerConfig } from '../contract/streamer-config.ts';
import { paths } from '../provision/core/render/paths.ts';
import { render } from './support/fleet.ts';

const fleet = `defaults:
  hotspot: { country: GB, passphrase: "it's a secret; \\\\ really" }
hosts:
  cam1: { address: 10.0.0.1, stream: { key: hall } }
  cam2: { address: 10.0.0.2, hotspot: { mode: hostapd, ssid: "Café Wi-Fi" } }
  cam3: { address: 10.0.0.3, hotspot: { mode: networkmanager, ssid: cam3 }, access: { publish: [127.0.0.1, 10.42.0.0/24] } }
`;

const fileOf = (state: ReturnType<typeof render>[number], path: string) => state.files.find((f) => f.path === path)!.content;

/** The directive blocks at nginx's top level (depth 0). */
function topLevelBlocks(conf: string): string[] {
  const blocks: string[] = [];
  let depth = 0;
  for (const line of conf.split('\n').map((l) => l.replace(/#.*/, '').trim())) {
    if (line.endsWith('{')) {
      if (depth === 0) blocks.push(line.slice(0, -1).trim());
      depth++;
    }
    if (line === '}') depth--;
  }
  return blocks;
}

describe('render', () => {
  it('is deterministic: the same inventory renders byte-identical files', () => {
    expect(JSON.stringify(render(fleet))).toBe(JSON.stringify(render(fleet)));
  });

  it('puts the rtmp block in nginx main context, with drop_idle_publisher and the access lists', () => {
    const [cam1, , cam3] = render(fleet);
    const conf = fileOf(cam1!, paths.nginxConf);
    expect(topLevelBlocks(conf)).toEqual(['events', 'rtmp', 'http']);
    expect(conf).toMatch(/drop_idle_publisher \d+s;/);
    expect(conf).toContain('application live {');
    expect(conf).toMatch(/allow publish 127\.0\.0\.1;\s+deny publish all;/);
    expect(fileOf(cam3!, paths.nginxConf)).toMatch(/allow publish 127\.0\.0\.1;\s+allow publish 10\.42\.0\.0\/24;\s+deny publish all;/);
  });

  it('writes the streamer config the streamer reads, publishing to the local nginx, and the key apart', () => {
    const [cam1] = render(fleet);
    const text = fileOf(cam1!, paths.streamerConfig);
    const config = JSON.parse(text) as unknown;
    expect(config).toEqual({
      comment: 'Managed by camfleet. Local edits are replaced on the next provision.',
      device: '/dev/video0', inputFormat: 'mjpeg', width: 1280, height: 720, fps: 30, bitrate: 2_500_000,
      encoder: 'auto', gop: 30, server: 'rtmp://127.0.0.1:1935/live', statusFile: paths.streamerStatus,
      // Its metrics: served on a socket nginx proxies to, read from the Pi's own loopback (parts/metrics.ts).
      metrics: { socket: metricsPaths.socket, statUrl: 'http://127.0.0.1:8080/stat', whepStatusUrl: 'http://127.0.0.1:8889/whep/status', versionFile: metricsPaths.version, hlsLog: { port: 8895, windowMs: 10_000 } },
      // The same encode as RTP to camfleet-webrtc on loopback.
      rtpPort: 8890,
    });
    // Read back by the function the streamer itself reads it with: every field, nothing unknown.
    expect(validateStreamerConfig(config, 'streamer.json')).toEqual(config);
    expect(text).not.toContain('hall');
    expect(parseStreamKey(fileOf(cam1!, paths.streamKey), 'stream-key')).toBe('hall');
  });

  it('has systemd restart a dead nginx (a drop-in for Debian\'s unit) and a hung streamer (watchdog)', () => {
    const [cam1] = render(fleet);
    const dropIn = fileOf(cam1!, paths.nginxDropIn);
    expect(dropIn).toMatch(/^\[Service\]\nRestart=always\nRestartSec=1$/m);
    expect(dropIn).toMatch(/^StartLimitIntervalSec=0$/m);
    const unit = fileOf(cam1!, paths.streamerUnit);
    expect(unit).toMatch(/^WatchdogSec=\d+$/m);
    expect(unit).toMatch(/^NotifyAccess=all$/m);
  });

  it('orders the streamer unit after network-online and nginx, restarting always', () => {
    const unit = fileOf(render(fleet)[0]!, paths.streamerUnit);
    expect(unit).toMatch(/^After=network-online\.target nginx\.service$/m);
    expect(unit).toMatch(/^Wants=network-online\.target nginx\.service$/m);
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toContain(`LoadCredential=streamer.json:${paths.streamerConfig}`);
    expect(unit).toContain(`LoadCredential=stream-key:${paths.streamKey}`);
    expect(unit).toContain(`ExecStart=/usr/bin/node ${paths.streamerBundle} --config \${CREDENTIALS_DIRECTORY}/streamer.json --stream-key-file \${CREDENTIALS_DIRECTORY}/stream-key`);
  });

  it('keeps the stream key root-only; the streamer config, with no key in it, is an ordinary file', () => {
    const files = render(fleet)[0]!.files;
    expect(files.find((f) => f.path === paths.streamKey)?.mode).toBe(0o600);
    expect(files.find((f) => f.path === paths.streamerConfig)).toMatchObject({ mode: 0o644 });
    expect(files.find((f) => f.path === paths.streamerConfig)).not.toHaveProperty('sensitive');
  });

  it('restarts the streamer on its unit, config or code, and nginx on its config (a reload would strand the live stream on the old worker)', () => {
    const units = Object.fromEntries(render(fleet)[0]!.units.map((u) => [u.name, u]));
    expect(units['camfleet-streamer.service']!.restartOn.sort()).toEqual([paths.streamerBundle, paths.streamerConfig, paths.streamKey, paths.streamerUnit].sort());
    expect(units['nginx.service']!.restartOn).toEqual([paths.nginxConf]);
    expect(units['nginx.service']!.reloadOn).toEqual([]);
  });

  it('hotspot none touches no network file; hostapd and NetworkManager each turn the other off', () => {
    const [none, ap, nm] = render(fleet);
    expect(none!.files.map((f) => f.path).filter((p) => /hostapd|dnsmasq|NetworkManager|hotspot/.test(p))).toEqual([]);
    // Nothing of the hotspot's to remove (the recorder's and the ingests' files are listed: both
    // are off by default; so are an origin exporter's, which only an origin runs).
    expect(none!.absent.filter((a) => !/recorder|recordings|ingest|origin-exporter|origin-metrics/.test(a.path))).toEqual([]);
    expect(ap!.units.find((u) => u.name === 'camfleet-hotspot.service')).toMatchObject({ enabled: false, active: false });
    expect(ap!.units.find((u) => u.name === 'hostapd.service')).toMatchObject({ enabled: true, unmask: true });
    expect(nm!.units.find((u) => u.name === 'hostapd.service')).toMatchObject({ enabled: false, active: false });
    expect(nm!.absent.map((a) => a.path)).toContain(paths.hostapdConf);
  });

  it('writes secret-bearing files 0600 and encodes awkward SSIDs safely', () => {
    const [, ap, nm] = render(fleet);
    const hostapd = ap!.files.find((f) => f.path === paths.hostapdConf)!;
    expect(hostapd.mode).toBe(0o600);
    expect(hostapd.content).toContain(`ssid2=${Buffer.from('Café Wi-Fi').toString('hex')}`);
    expect(hostapd.content).toContain("wpa_passphrase=it's a secret; \\ really");
    const keyfile = nm!.files.find((f) => f.path === paths.nmConnection)!;
    expect(keyfile.mode).toBe(0o600);
    expect(keyfile.content).toContain("psk=it's a secret; \\\\ really");
    expect(keyfile.content).toMatch(/^method=shared$/m);
    expect(keyfile.content).toMatch(/^address1=10\.42\.0\.1\/24$/m);
    expect(fileOf(ap!, paths.dnsmasqConf)).toContain('dhcp-range=192.168.50.10,192.168.50.100,255.255.255.0,12h');
  });

  it('fails loudly, naming host and template, when a template uses a variable the context lacks', async () => {
    const { renderHost } = await import('../provision/core/render/render.ts');
    const { loadTemplates } = await import('../provision/converge/render-inputs.ts');
    const { resolve } = await import('./support/fleet.ts');
    const { mkdtempSync, writeFileSync, readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const dir = mkdtempSync('/tmp/camfleet-templates-');
    for (const f of readdirSync('templates')) writeFileSync(join(dir, f), readFileSync(join('templates', f)));
    writeFileSync(join(dir, 'nginx.conf.hbs'), 'listen {{stream.prot}};\n');
    const host = resolve(fleet)[0]!;
    expect(() => renderHost(host, { templates: loadTemplates(dir), streamerBundle: '', viewerAssets: { page: '', app: '', hlsLibrary: '', webrtcService: '' } })).toThrow(/cam1: template nginx\.conf: .*prot/);
  });
});
