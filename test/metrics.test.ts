// Metrics (issue 27, item 2) without a Pi: the exposition format and its escaping, what a camera
// exports from a snapshot, ffmpeg's progress lines, render's /metrics in nginx.conf behind
// access.metrics, render --prometheus's targets, and the shipped alert rules and scrape config
// through promtool (Debian's prometheus package, .ci/apt-packages).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cameraMetrics, type CameraSnapshot } from '../contract/camera-metrics.ts';
import { escapeLabelValue, exposition, type MetricFamily } from '../contract/prometheus.ts';
import { newRunProgress, readProgress, recentRates } from '../streamer/supervisor.ts';
import { procAddress } from '../streamer/metrics.ts';
import { InventoryError, formatProblem } from '../provision/core/errors.ts';
import { parseAndResolve } from '../provision/core/inventory/load.ts';
import { configVersion, metricsPaths } from '../provision/core/parts/metrics.ts';
import { originExporterFiles, originExporterPaths } from '../provision/core/parts/origin-exporter.ts';
import { prometheusTargets } from '../provision/core/render/prometheus-sd.ts';
import { paths } from '../provision/core/render/paths.ts';
import { render, resolve } from './support/fleet.ts';
import { camfleet, root } from './support/cli.ts';
import { promtool } from './support/promtool.ts';
import { existsSync } from 'node:fs';


const family = (samples: MetricFamily['samples'], help = 'h'): MetricFamily => ({ name: 'x_total', help, type: 'counter', samples });

describe('the exposition format', () => {
  it('escapes label values (backslash, quote, newline) and help texts in one place', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(exposition([family([{ labels: { zone: 'cpu "big"\\1\n' }, value: 3 }], 'line one\nback\\slash "q"')])).toBe(
      '# HELP x_total line one\\nback\\\\slash "q"\n# TYPE x_total counter\nx_total{zone="cpu \\"big\\"\\\\1\\n"} 3\n',
    );
  });

  it('leaves out a family without samples, spells NaN and infinities as Prometheus does, and refuses bad names', () => {
    expect(exposition([family([])])).toBe('');
    expect(exposition([family([{ value: NaN }, { labels: { a: 'b' }, value: Infinity }])])).toMatch(/^x_total NaN\nx_total\{a="b"\} \+Inf\n$/m);
    expect(() => exposition([{ ...family([{ value: 1 }]), name: 'bad-name' }])).toThrow(/bad metric name/);
    expect(() => exposition([family([{ labels: { 'bad-label': 'v' }, value: 1 }])])).toThrow(/bad label name/);
    expect(() => exposition([family([{ labels: { __reserved: 'v' }, value: 1 }])])).toThrow(/bad label name/);
    expect(() => exposition([family([{ value: 1 }]), family([{ value: 2 }])])).toThrow(/given twice/);
  });
});

const full: CameraSnapshot = {
  streamerUp: true,
  configVersion: 'abc123def456',
  state: 'streaming',
  encoder: 'h264_v4l2m2m',
  configuredFps: 30,
  configuredBitrate: 2_500_000,
  fps: 29.97,
  bitrate: 2_400_000,
  framesDropped: 4,
  framesDuplicated: 2,
  ffmpegRestarts: 1,
  streamerRestarts: 0,
  streamerUptimeSeconds: 60,
  viewers: { rtmp: 2, webrtc: 1 },
  rtmpBytesIn: 1000,
  rtmpBytesOut: 3000,
  relayConnected: true,
  temperatures: [{ zone: 'cpu-thermal', celsius: 51.5 }],
  throttled: 0x50005,
  diskFreeBytes: 1e9,
  diskSizeBytes: 8e9,
  hostUptimeSeconds: 3600,
};

describe('what a camera exports', () => {
  it('every reading, in a text promtool check metrics accepts', () => {
    const text = exposition(cameraMetrics(full));
    expect(promtool(['check', 'metrics'], text)).toEqual({ status: 0, output: '' });
    for (const line of [
      'camfleet_stream_up 1',
      'camfleet_streamer_state{state="streaming"} 1',
      'camfleet_streamer_state{state="backoff"} 0',
      'camfleet_encoder_info{encoder="h264_v4l2m2m"} 1',
      'camfleet_stream_fps 29.97',
      'camfleet_stream_bitrate_bytes_per_second 300000',
      'camfleet_stream_frames_dropped_total 4',
      'camfleet_viewers{path="rtmp"} 2',
      'camfleet_viewers{path="webrtc"} 1',
      'camfleet_relay_up 1',
      'camfleet_soc_temperature_celsius{zone="cpu-thermal"} 51.5',
      // 0x50005: under-voltage and throttled now, and both since boot.
      'camfleet_soc_throttling{condition="under_voltage"} 1',
      'camfleet_soc_throttling{condition="frequency_capped"} 0',
      'camfleet_soc_throttling{condition="throttled"} 1',
      'camfleet_soc_throttling_since_boot{condition="under_voltage"} 1',
      'camfleet_soc_throttling_since_boot{condition="throttled"} 1',
      'camfleet_config_info{version="abc123def456"} 1',
    ])
      expect(text.split('\n')).toContain(line);
    // No HLS count is to be had from nginx: none is made up.
    expect(text).not.toContain('path="hls"');
  });

  it('a streamer that is not streaming reports no fps or bitrate, only that it is down', () => {
    const text = exposition(cameraMetrics({ ...full, state: 'backoff' }));
    expect(text).toMatch(/^camfleet_stream_up 0$/m);
    expect(text).not.toMatch(/camfleet_stream_fps |camfleet_stream_bitrate_bytes_per_second /);
  });

  it("the streamer-down file nginx serves: down, and nothing it cannot know (no thermal zone, no vcgencmd)", () => {
    const [desired] = render('hosts:\n  pi1: { address: 10.0.0.1 }\n');
    const down = desired!.files.find((f) => f.path === metricsPaths.down)!.content;
    expect(promtool(['check', 'metrics'], down)).toEqual({ status: 0, output: '' });
    expect(down.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['camfleet_stream_up 0', 'camfleet_streamer_up 0']);
    expect(down).toMatch(/^# Managed by camfleet/);
  });
});

describe("ffmpeg's progress lines", () => {
  const block = (frame: number, size: number | 'N/A', dropped = 0) => [`frame=${frame}`, 'fps=29.97', 'bitrate=2468.3kbits/s', `total_size=${size}`, `drop_frames=${dropped}`, 'dup_frames=1', 'speed=1x', 'progress=continue'];

  it('fps and bitrate over the last seconds from the blocks, not ffmpeg\'s averages since its start; dropped and duplicated frames as counted', () => {
    const run = newRunProgress();
    for (const line of block(30, 100_000)) readProgress(line, run, 1000);
    expect(recentRates(run)).toEqual({});
    for (const line of block(60, 400_000, 3)) readProgress(line, run, 2000);
    expect(recentRates(run)).toEqual({ fps: 30, bitrate: 2_400_000 });
    // The camera slows to 10 fps: within the window the rate shows it, whatever the average since the start.
    for (let i = 1; i <= 5; i++) for (const line of block(60 + 10 * i, 400_000)) readProgress(line, run, 2000 + 1000 * i);
    expect(recentRates(run)).toEqual({ fps: 10, bitrate: 0 });
    expect(run).toMatchObject({ frame: 110, dropped: 0, duplicated: 1 });
    readProgress('total_size=N/A', run, 8000);
    expect(run.size).toBe(400_000);
  });

  it("writes an IPv4 address as /proc/net/tcp does (for the relay's connection)", () => {
    expect(procAddress('10.0.0.9')).toBe('0900000A');
  });
});

describe('render', () => {
  const nginx = (yaml: string) => render(yaml)[0]!.files.find((f) => f.path === paths.nginxConf)!.content;

  it("serves /metrics on the statistics port to access.metrics only, proxied to the streamer's socket, the down file when it is not there", () => {
    const conf = nginx('hosts:\n  pi1: { address: 10.0.0.1, access: { metrics: [192.168.1.5, 10.9.0.0/16] } }\n');
    const server = /listen 8080;[\s\S]*?\n    }\n/.exec(conf)?.[0] ?? '';
    expect(server).toMatch(/location = \/metrics \{\s+allow 192\.168\.1\.5;\s+allow 10\.9\.0\.0\/16;\s+deny all;\s+proxy_pass http:\/\/unix:\/run\/camfleet\/metrics\.sock:\/metrics;/);
    expect(server).toMatch(/error_page 502 503 504 = @camfleet_metrics_down;/);
    expect(server).toContain(`try_files ${metricsPaths.down} =503;`);
    // The statistics page does not open to the metrics list.
    expect(/location = \/stat \{[\s\S]*?\}/.exec(server)?.[0]).not.toContain('192.168.1.5');
    // By default, only the Pi itself.
    expect(nginx('hosts:\n  pi1: { address: 10.0.0.1 }\n')).toMatch(/location = \/metrics \{\s+allow 127\.0\.0\.1;\s+deny all;/);
  });

  it("an origin serves /metrics from its own exporter (no streamer there): its config names the relaying cameras; both are targets", () => {
    const yaml = 'hosts:\n  pi1: { address: 10.0.0.1, relay: { to: o } }\n  pi2: { address: 10.0.0.2, relay: { to: o } }\n  o: { address: 10.0.0.9, role: origin, viewer: { enabled: false }, access: { metrics: [10.0.0.50] } }\n';
    const [, , origin] = render(yaml);
    const files = origin!.files.map((f) => f.path);
    expect(files).not.toContain(metricsPaths.version);
    expect(files).toEqual(expect.arrayContaining([originExporterPaths.bundle, originExporterPaths.config, originExporterPaths.unit, originExporterPaths.down]));
    expect(origin!.units.find((u) => u.name === 'camfleet-origin-exporter.service')).toMatchObject({ enabled: true, active: true });
    expect(origin!.units.find((u) => u.name === 'camfleet-streamer.service')).toMatchObject({ enabled: false, active: false });
    const config = JSON.parse(origin!.files.find((f) => f.path === originExporterPaths.config)!.content) as Record<string, unknown>;
    expect(config).toMatchObject({ socket: originExporterPaths.socket, statUrl: 'http://127.0.0.1:8080/stat', application: 'live', cameras: ['pi1', 'pi2'] });
    const conf = origin!.files.find((f) => f.path === paths.nginxConf)!.content;
    expect(conf).toMatch(/location = \/metrics \{\s+allow 10\.0\.0\.50;\s+deny all;\s+proxy_pass http:\/\/unix:\/run\/camfleet-origin\/metrics\.sock:\/metrics;/);
    expect(conf).toContain(`try_files ${originExporterPaths.down} =503;`);
    const down = origin!.files.find((f) => f.path === originExporterPaths.down)!.content;
    expect(promtool(['check', 'metrics'], down)).toEqual({ status: 0, output: '' });
    expect(down.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['camfleet_origin_exporter_up 0']);
    expect(prometheusTargets(resolve(yaml)).map((t) => `${t.targets[0]} ${t.labels.host} ${t.labels.role}`)).toEqual(['10.0.0.1:8080 pi1 camera', '10.0.0.2:8080 pi2 camera', '10.0.0.9:8080 o origin']);
  });

  it('a camera Pi removes what an origin ran: the exporter, its files and unit', () => {
    const [pi] = render('hosts:\n  pi1: { address: 10.0.0.1 }\n');
    expect(pi!.absent.map((a) => a.path)).toEqual(expect.arrayContaining(originExporterFiles));
    expect(pi!.units.find((u) => u.name === 'camfleet-origin-exporter.service')).toMatchObject({ enabled: false, active: false });
  });

  it('a bad access.metrics entry is refused at its place', () => {
    try {
      parseAndResolve('inventory.yaml', 'hosts:\n  pi1:\n    address: 10.0.0.1\n    access: { metrics: [10.0.0.0/33] }\n', '/x', { env: {} });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InventoryError);
      expect((e as InventoryError).problems.map(formatProblem)).toEqual([expect.stringMatching(/^inventory\.yaml:4:\d+ hosts\.pi1\.access\.metrics\.0: /)]);
    }
  });

  it("camfleet's version of the config changes with a setting or a program, not with nothing, and says nothing of a secret", () => {
    const [a] = resolve('hosts:\n  pi1: { address: 10.0.0.1, stream: { key: { env: K } } }\n', { K: 'secret-key-one' });
    const [b] = resolve('hosts:\n  pi1: { address: 10.0.0.1, stream: { key: { env: K } } }\n', { K: 'secret-key-two' });
    const [c] = resolve('hosts:\n  pi1: { address: 10.0.0.1, stream: { key: { env: K } }, camera: { fps: 25 } }\n', { K: 'secret-key-one' });
    const v = configVersion(a!, ['bundle']);
    expect(v).toMatch(/^[0-9a-f]{12}$/);
    expect(configVersion(a!, ['bundle'])).toBe(v);
    expect(configVersion(b!, ['bundle'])).toBe(v);
    expect(configVersion(c!, ['bundle'])).not.toBe(v);
    expect(configVersion(a!, ['bundle 2'])).not.toBe(v);
    // How the operator reaches the Pi is not its config.
    expect(configVersion({ ...a!, address: '10.0.0.2', ssh: { ...a!.ssh, knownHostsFile: '/elsewhere' } }, ['bundle'])).toBe(v);
  });

  it('render --prometheus: IPv6 addresses in brackets, the statistics port, the inventory name as `host`', () => {
    expect(prometheusTargets(resolve("hosts:\n  a: { address: 'fd00::5', stream: { statPort: 8081 } }\n"))).toEqual([{ targets: ['[fd00::5]:8081'], labels: { host: 'a', role: 'camera' } }]);
  });
});

describe('render --prometheus', () => {
  it('writes the fleet file Prometheus reads (the example inventory: three cameras); a broken inventory writes nothing, exit 2 at its place', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camfleet-sd-'));
    const ok = await camfleet(['render', '--all', '--prometheus', join(dir, 'targets.json')]);
    expect(ok.code, ok.stderr).toBe(0);
    const targets = JSON.parse(readFileSync(join(dir, 'targets.json'), 'utf8')) as { targets: string[]; labels: { host: string } }[];
    expect(targets.map((t) => t.labels.host)).toEqual(['pi1', 'pi2', 'pi3']);
    expect(targets[0]!.targets).toEqual(['192.168.1.21:8080']);

    writeFileSync(join(dir, 'bad.yaml'), 'hosts:\n  pi1:\n    address: 10.0.0.1\n    access: { metrics: [nope] }\n');
    const bad = await camfleet(['render', '--all', '-i', join(dir, 'bad.yaml'), '--prometheus', join(dir, 'bad.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml:4:\d+ hosts\.pi1\.access\.metrics\.0: /);
    expect(existsSync(join(dir, 'bad.json'))).toBe(false);
  }, 60_000);
});

describe('the shipped Prometheus files (examples/prometheus/)', () => {
  it('promtool accepts the alert rules, and the scrape config with targets from render --prometheus', () => {
    expect(promtool(['check', 'rules', join(root, 'examples/prometheus/camfleet-alerts.yml')]).status).toBe(0);
    const rules = readFileSync(join(root, 'examples/prometheus/camfleet-alerts.yml'), 'utf8');
    for (const alert of ['CameraDown', 'CameraFpsLow', 'CameraDiskLow', 'PiThrottled']) expect(rules).toContain(`alert: ${alert}`);
    const dir = mkdtempSync(join(tmpdir(), 'camfleet-prom-'));
    for (const f of ['prometheus.yml', 'camfleet-alerts.yml']) writeFileSync(join(dir, f), readFileSync(join(root, 'examples/prometheus', f)));
    writeFileSync(join(dir, 'camfleet-targets.json'), JSON.stringify(prometheusTargets(resolve('hosts:\n  pi1: { address: 10.0.0.1 }\n'))));
    const r = promtool(['check', 'config', join(dir, 'prometheus.yml')]);
    expect(r.status, r.output).toBe(0);
  });
});
