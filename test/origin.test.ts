// Origin relay in the pure core: the inventory's role and relay settings, the mistakes refused with
// file:line:col, and what a relaying camera and an origin are rendered to.
import { describe, expect, it } from 'vitest';
import { InventoryError, formatProblem } from '../provision/core/errors.ts';
import { parseAndResolve } from '../provision/core/inventory/load.ts';
import { paths } from '../provision/core/render/paths.ts';
import { renderHost } from '../provision/core/render/render.ts';
import { wallSources } from '../client/wall.ts';
import { viewerUrl } from '../client/url.ts';
import { wallLine } from '../provision/cli/status.ts';
import { camfleet } from './support/cli.ts';
import { bundle, originExporter, templates, viewerAssets } from './support/fleet.ts';
import { originExporterPaths, originExporterUnit } from '../provision/core/parts/origin-exporter.ts';
import { metricsPaths } from '../provision/core/parts/metrics.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const wallAssets = { page: '<!-- Managed by camfleet -->\n<title>{{title}}</title><script type="application/json">{{config}}</script>\n', app: '// Managed by camfleet\n' };

const fleet = `defaults:
  relay: { to: origin1 }
hosts:
  pi1: { address: 10.0.0.1 }
  pi2: { address: 10.0.0.2, camera: { fps: 25, gop: 50 }, stream: { key: { env: PI2_KEY } } }
  solo: { address: 10.0.0.3, relay: { to: origin1 } }
  origin1: { address: 10.0.0.9, role: origin, stream: { port: 1936, application: fleet } }
`;

const load = (yaml: string, options: Parameters<typeof parseAndResolve>[3] = {}) => parseAndResolve('inventory.yaml', yaml, '/x', { env: { PI2_KEY: 'k2' }, ...options });
const host = (yaml: string, name: string) => load(yaml).hosts.find((h) => h.name === name)!;
const render = (yaml: string, name: string) => renderHost(host(yaml, name), { templates, streamerBundle: bundle, viewerAssets, wallAssets, originExporter });
const file = (yaml: string, name: string, path: string) => render(yaml, name).files.find((f) => f.path === path)?.content ?? '';

function problems(yaml: string): string[] {
  try {
    load(yaml);
  } catch (e) {
    if (e instanceof InventoryError) return e.problems.map(formatProblem);
    throw e;
  }
  return [];
}

describe('origin relay: inventory', () => {
  it("a camera relays to the origin's RTMP application under its own name; the origin knows every camera that does", () => {
    expect(host(fleet, 'pi1').relay).toEqual({ origin: 'origin1', address: '10.0.0.9', port: 1936, application: 'fleet', stream: 'pi1', viewerPort: 80 });
    expect(host(fleet, 'origin1').relay).toBeUndefined();
    expect(host(fleet, 'origin1').origin).toEqual({
      sources: [
        { name: 'pi1', address: '10.0.0.1', keyframeMs: 1000 },
        { name: 'pi2', address: '10.0.0.2', keyframeMs: 2000 },
        { name: 'solo', address: '10.0.0.3', keyframeMs: 1000 },
      ],
    });
  });

  it("provisioning the origin alone needs none of the cameras' secrets", () => {
    const inv = parseAndResolve('inventory.yaml', fleet, '/x', { env: {}, only: ['origin1'] });
    expect(inv.hosts.map((h) => h.name)).toEqual(['origin1']);
    expect(inv.hosts[0]!.origin!.sources.map((s) => s.name)).toEqual(['pi1', 'pi2', 'solo']);
  });

  it('without any origin or relay nothing changes', () => {
    expect(host('hosts:\n  pi1: { address: 10.0.0.1 }\n', 'pi1')).not.toHaveProperty('relay');
  });

  // The same four hosts, each wrong in its own way, with a fifth that decides which check speaks.
  const mistakes = `hosts:
  a: { address: 10.0.0.1, relay: { to: nowhere } }
  b: { address: 10.0.0.2, relay: { to: a } }
  c: { address: cam-c.local, relay: { to: o } }
  o: { address: 10.0.0.9, role: origin, relay: { to: o }, hotspot: { mode: hostapd, ssid: x, country: GB, passphrase: abcdefgh1 } }
`;
  it.each([
    {
      what: 'an unknown role, by the schema, before any relay rule runs',
      fifth: '  p: { address: 10.0.0.8, role: relay }\n',
      expected: ['inventory.yaml:6:33 hosts.p.role: must be one of: camera, origin'],
    },
    {
      what: 'every relay mistake at its place',
      fifth: "  v6: { address: 'fd00::9', role: origin }\n",
      expected: [
        "inventory.yaml:2:40 hosts.a.relay.to: no host 'nowhere' in the inventory (origins: o, v6)",
        "inventory.yaml:3:40 hosts.b.relay.to: host 'a' is not an origin: give it role: origin",
        "inventory.yaml:4:17 hosts.c.address: relays to o, whose publish allow-list admits IP addresses only: write this Pi's address as an IP address",
        'inventory.yaml:5:54 hosts.o.relay.to: o is an origin itself: only cameras relay',
        'inventory.yaml:5:76 hosts.o.hotspot.mode: o is an origin: hotspot.mode must be none (set hotspot: { mode: none } on it)',
        "inventory.yaml:6:18 hosts.v6.address: an origin needs an IPv4 address or a DNS name: cameras push to rtmp://<address>:<port>/",
      ],
    },
  ])('refuses $what', ({ fifth, expected }) => {
    expect(problems(mistakes + fifth)).toEqual(expected);
  });

  it('relay settings layer like the others: a group sends its cameras to another origin', () => {
    const inv = load(`defaults: { relay: { to: o1 } }
groups:
  hall: { relay: { to: o2 } }
hosts:
  a: { address: 10.0.0.1 }
  b: { address: 10.0.0.2, groups: [hall] }
  o1: { address: 10.0.0.8, role: origin }
  o2: { address: 10.0.0.9, role: origin }
`);
    expect(inv.hosts.map((h) => h.relay?.origin ?? h.origin?.sources.map((s) => s.name).join('+'))).toEqual(['o1', 'o2', 'a', 'b']);
  });

  it('bad input through the CLI: one message per place, exit 2, nothing rendered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camfleet-origin-'));
    writeFileSync(join(dir, 'inventory.yaml'), 'hosts:\n  a: { address: 10.0.0.1, relay: { to: b } }\n  b: { address: 10.0.0.2 }\n');
    const r = await camfleet(['render', '--inventory', join(dir, 'inventory.yaml'), '--all', '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("inventory.yaml:2:40 hosts.a.relay.to: host 'b' is not an origin: give it role: origin");
  });
});

describe('origin relay: render', () => {
  it("a relaying camera's nginx-rtmp pushes its stream, as it is, to the origin; nothing else about it changes", () => {
    const conf = file(fleet, 'pi1', paths.nginxConf);
    expect(conf).toMatch(/application live \{[^}]*push rtmp:\/\/10\.0\.0\.9:1936\/fleet\/pi1;\s+push_reconnect 1s;/);
    const alone = file('hosts:\n  pi1: { address: 10.0.0.1 }\n', 'pi1', paths.nginxConf);
    expect(alone).not.toMatch(/^\s*push /m);
    expect(conf.replace(/\n *(push |push_reconnect |# Relayed to the origin|# by itself).*/g, '')).toBe(alone);
    // The camera still runs its streamer and serves its own page: hotspot viewers keep watching it.
    expect(render(fleet, 'pi1').units.map((u) => u.name)).toContain('camfleet-streamer.service');
    expect(file(fleet, 'pi1', paths.viewerPage)).toContain('/hls/cam.m3u8');
  });

  it('an origin: nginx-rtmp admitting only the relaying cameras, HLS for every stream, a page per camera and the wall, its metrics exporter; no streamer', () => {
    const state = render(fleet, 'origin1');
    // Node for the exporter alone: an origin has no camera, so no ffmpeg.
    expect(state.packages).toEqual(['nginx', 'libnginx-mod-rtmp', 'nodejs']);
    // In the parts' order (nginx-rtmp, then the streamer, off here); the plan stops units apart from starting them.
    expect(state.units).toEqual([
      { name: 'nginx.service', enabled: true, active: true, restartOn: [paths.nginxConf], reloadOn: [] },
      { name: 'camfleet-streamer.service', enabled: false, active: false, restartOn: [], reloadOn: [] },
      { name: originExporterUnit, enabled: true, active: true, restartOn: [originExporterPaths.bundle, originExporterPaths.config, originExporterPaths.unit], reloadOn: [] },
    ]);
    // The streamer's files, and its down file for /metrics (a camera turned origin loses them).
    expect(state.absent.map((a) => a.path)).toEqual([paths.streamerUnit, paths.streamerConfig, paths.streamKey, paths.streamerBundle, metricsPaths.down]);
    expect(state.files.map((f) => f.path)).toEqual([
      paths.nginxConf,
      paths.nginxDropIn,
      paths.viewerPage,
      paths.wallApp,
      paths.viewerApp,
      paths.viewerHlsLibrary,
      '/var/www/camfleet/pi1/index.html',
      '/var/www/camfleet/pi2/index.html',
      '/var/www/camfleet/solo/index.html',
      metricsPaths.version,
      originExporterPaths.bundle,
      originExporterPaths.config,
      originExporterPaths.unit,
      originExporterPaths.down,
    ]);
    const conf = state.files[0]!.content;
    expect(conf).toMatch(/listen 1936;/);
    expect(conf).toMatch(/application fleet \{[^}]*allow publish 10\.0\.0\.1;\s+allow publish 10\.0\.0\.2;\s+allow publish 10\.0\.0\.3;\s+allow publish 127\.0\.0\.1;\s+deny publish all;/);
    // pi2 sends a keyframe every 2 s: every fragment must start on one.
    expect(conf).toContain('hls_fragment 2000ms;');
    expect(conf).not.toMatch(/^\s*push /m);
    // Each relaying camera's page, and no other directory, is served.
    expect(conf.match(/location = \/[a-z0-9-]+\/(index\.html)? \{ \}/g)).toEqual(['pi1', 'pi2', 'solo'].flatMap((c) => [`location = /${c}/ { }`, `location = /${c}/index.html { }`]));
    expect(state.listen).toEqual([1936, 8080, 80]);
  });

  it('the wall lists every relaying camera; a camera page on the origin plays the origin\'s stream', () => {
    const wall = file(fleet, 'origin1', paths.viewerPage);
    expect(wall).toContain('<title>origin1 · camfleet wall</title>');
    const config = JSON.parse(/<script type="application\/json">(.*)<\/script>/.exec(wall)![1]!) as { cameras: unknown[] };
    expect(config.cameras).toEqual([
      { name: 'pi1', hls: '/hls/pi1.m3u8', page: '/pi1/' },
      { name: 'pi2', hls: '/hls/pi2.m3u8', page: '/pi2/' },
      { name: 'solo', hls: '/hls/solo.m3u8', page: '/solo/' },
    ]);
    const page = file(fleet, 'origin1', '/var/www/camfleet/pi2/index.html');
    const pageConfig = JSON.parse(/<script type="application\/json">(.*)<\/script>/.exec(page)![1]!) as object;
    // Named after the camera, not its (secret) key: the origin never holds a camera's key.
    expect(pageConfig).toEqual({ name: 'pi2', paths: ['hls'], whep: '/whep', hls: '/hls/pi2.m3u8', hlsLibrary: '/hls.min.js', rtmp: { port: 1936, application: 'fleet', key: 'pi2' } });
    expect(render(fleet, 'origin1').files.some((f) => f.content.includes('k2'))).toBe(false);
  });
});

describe('origin relay: where players and the operator look', () => {
  const hosts = load(fleet).hosts;
  it("a relaying Pi's players use the origin's URL; status names the origin's wall", () => {
    expect(viewerUrl(hosts.find((h) => h.name === 'pi1')!)).toBe('rtmp://10.0.0.9:1936/fleet/pi1');
    expect(wallLine(hosts, { all: true })).toBe('fleet wall: http://10.0.0.9/');
  });

  it('without an origin, status says how to serve the wall locally, with the same selection', () => {
    const solo = load('hosts:\n  pi1: { address: 10.0.0.1 }\n').hosts;
    expect(viewerUrl(solo[0]!)).toBe('rtmp://10.0.0.1:1935/live/cam');
    expect(wallLine(solo, { group: ['hall'], inventory: 'fleet.yaml' })).toBe('fleet wall: no origin; `npm run wall -- -i fleet.yaml --group hall` serves one at http://127.0.0.1:8090/');
  });

  it("the local wall plays relaying cameras from their origin, others from themselves, and leaves origins out", () => {
    const local = load(`hosts:
  a: { address: 10.0.0.1, relay: { to: o } }
  b: { address: 10.0.0.2, viewer: { port: 8000 }, stream: { key: bkey } }
  c: { address: 10.0.0.3, viewer: { enabled: false } }
  o: { address: 10.0.0.9, role: origin }
`).hosts;
    expect(wallSources(local)).toEqual([
      { name: 'a', base: 'http://10.0.0.9/hls/', playlist: 'a.m3u8', page: 'http://10.0.0.9/a/' },
      { name: 'b', base: 'http://10.0.0.2:8000/hls/', playlist: 'bkey.m3u8', page: 'http://10.0.0.2:8000/' },
    ]);
    expect(wallSources(local, true).map((s) => s.base)).toEqual(['http://10.0.0.1/hls/', 'http://10.0.0.2:8000/hls/']);
  });

  it("both walls link a recording camera's recordings page on the camera itself, where its footage is; a camera that records none gets no link", () => {
    const yaml = `hosts:
  a: { address: 10.0.0.1, relay: { to: o }, recording: { enabled: true } }
  b: { address: 10.0.0.2, viewer: { port: 8000 }, recording: { enabled: true } }
  c: { address: 10.0.0.3, relay: { to: o } }
  o: { address: 10.0.0.9, role: origin }
`;
    const wall = render(yaml, 'o').files.find((f) => f.path === paths.viewerPage)!.content;
    const config = JSON.parse(/<script type="application\/json">(.*)<\/script>/.exec(wall)![1]!) as { cameras: { name: string; recordings?: string }[] };
    expect(config.cameras.map((c) => [c.name, c.recordings])).toEqual([
      ['a', 'http://10.0.0.1/recordings.html'],
      ['c', undefined],
    ]);
    expect(wallSources(load(yaml).hosts).map((s) => [s.name, s.recordings])).toEqual([
      ['a', 'http://10.0.0.1/recordings.html'],
      ['b', 'http://10.0.0.2:8000/recordings.html'],
      ['c', undefined],
    ]);
  });
});
