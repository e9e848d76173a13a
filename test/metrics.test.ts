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
import { RecentClients, listenHlsLog, maxHlsClients, readDatagram } from '../streamer/hls-viewers.ts';
import { parseHlsLogLine } from '../contract/hls-log.ts';
import { streamerMetricsConfig } from '../provision/core/parts/metrics.ts';
import { hlsLogPort } from '../provision/core/render/viewer.ts';
import { createSocket } from 'node:dgram';
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
  viewers: { rtmp: 2, webrtc: 1, hls: 3 },
  rtmpBytesIn: 1000,
  rtmpBytesOut: 3000,
  relayConnected: true,
  ingests: [
    { name: 'youtube', target: 'rtmps://a.rtmps.youtube.com/live2', state: 'connected', since: 1, bytes: 123456, restarts: 2 },
    { name: 'twitch', target: 'rtmp://live.twitch.tv/app', state: 'retrying', since: 1, bytes: 0, restarts: 7, error: 'refused: Connection refused' },
  ],
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
      'camfleet_viewers{path="hls"} 3',
      'camfleet_relay_up 1',
      'camfleet_ingest_up{ingest="youtube"} 1',
      'camfleet_ingest_up{ingest="twitch"} 0',
      'camfleet_ingest_sent_bytes_total{ingest="youtube"} 123456',
      'camfleet_ingest_restarts_total{ingest="twitch"} 7',
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
    // A count the streamer does not have (its port was taken) is not made up.
    expect(exposition(cameraMetrics({ ...full, viewers: { rtmp: 2 } }))).not.toContain('path="hls"');
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

  it('no bitrate where ffmpeg counts no bytes (total_size=N/A: the tee muxer), the fps still', () => {
    const run = newRunProgress();
    for (const line of block(30, 'N/A')) readProgress(line, run, 1000);
    for (const line of block(60, 'N/A')) readProgress(line, run, 2000);
    expect(recentRates(run)).toEqual({ fps: 30 });
  });

  it("writes an IPv4 address as /proc/net/tcp does (for the relay's connection)", () => {
    expect(procAddress('10.0.0.9')).toBe('0900000A');
  });
});

describe('HLS viewers from nginx\'s request log', () => {
  // As nginx 1.22 sends them (captured from a real nginx with this log_format).
  const sent = (status: number, address: string, ua: string) => `<190>Dec  3 11:23:41 camfleet_hls: ${status} ${address} ${ua}`;
  const phone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15';
  const clock = () => {
    const c = { t: 0, clients: undefined as unknown as RecentClients };
    c.clients = new RecentClients({ windowMs: 10_000, maxClients: 4, now: () => c.t });
    return c;
  };
  const feed = (clients: RecentClients, text: string) => readDatagram(clients, Buffer.from(text, 'latin1'));

  it('parses nginx\'s line strictly: status, address, User-Agent (escaped, cut at 256 characters)', () => {
    expect(parseHlsLogLine(sent(200, '10.42.0.7', 'Mozilla/5.0 \\x22quoted\\x22 \\xC3\\xA9'))).toEqual({ status: 200, address: '10.42.0.7', userAgent: 'Mozilla/5.0 \\x22quoted\\x22 \\xC3\\xA9' });
    expect(parseHlsLogLine(sent(304, 'fd00::5', '-'))).toEqual({ status: 304, address: 'fd00::5', userAgent: '-' });
    expect(parseHlsLogLine(sent(200, '10.0.0.1', 'x'.repeat(1000)))?.userAgent).toHaveLength(256);
    for (const bad of [
      '',
      'hello',
      sent(200, '10.0.0.1', phone).replace('camfleet_hls', 'sshd'),
      sent(200, '10.0.0.1', phone).replace('<190>', ''),
      sent(200, '999.0.0.1', phone),
      sent(200, 'unix:', phone),
      sent(200, 'example.org', phone),
      sent(200, '10.0.0.1', ''),
      `${sent(200, '10.0.0.1', phone)}\n${sent(200, '10.0.0.2', phone)}`,
      sent(200, '10.0.0.1', 'caf\u00e9'),
      sent(200, '10.0.0.1', 'tab\there'),
      sent(200, '10.0.0.1', phone).replace(' 200 ', ' 2000 '),
    ])
      expect([bad, parseHlsLogLine(bad)]).toEqual([bad, undefined]);
  });

  it('counts each address and browser once within the window, and only requests that served the stream', () => {
    const c = clock();
    expect(feed(c.clients, sent(200, '10.42.0.7', phone))).toBe('counted');
    c.t = 1000;
    expect(feed(c.clients, sent(206, '10.42.0.7', phone))).toBe('counted');
    // Behind one NAT, another browser is another viewer.
    expect(feed(c.clients, sent(304, '10.42.0.7', 'Mozilla/5.0 (Linux; Android 14) Chrome/120'))).toBe('counted');
    // Refused by the allow-list, or asking for a stream not live: not watching.
    expect(feed(c.clients, sent(403, '10.42.0.8', phone))).toBe('ignored');
    expect(feed(c.clients, sent(404, '10.42.0.9', phone))).toBe('ignored');
    expect(c.clients.count()).toBe(2);
  });

  it('forgets a client the window after its last request, not its first', () => {
    const c = clock();
    feed(c.clients, sent(200, '10.42.0.7', phone));
    feed(c.clients, sent(200, '10.42.0.8', phone));
    c.t = 8000;
    feed(c.clients, sent(200, '10.42.0.7', phone));
    c.t = 10_000;
    expect(c.clients.count()).toBe(2);
    c.t = 10_001;
    expect(c.clients.count()).toBe(1);
    c.t = 18_000;
    expect(c.clients.count()).toBe(1);
    c.t = 18_001;
    expect(c.clients.count()).toBe(0);
  });

  it('remembers at most maxClients: a User-Agent per request pushes out the least recent, never grows without bound', () => {
    const c = clock();
    for (let i = 0; i < 100; i++) {
      c.t = i;
      feed(c.clients, sent(200, '10.42.0.66', `bot/${i}`));
    }
    expect(c.clients.count()).toBe(4);
    // The one seen last is among them: a new request from bot/99 changes nothing.
    feed(c.clients, sent(200, '10.42.0.66', 'bot/99'));
    expect(c.clients.count()).toBe(4);
    expect(maxHlsClients).toBeGreaterThanOrEqual(256);
  });

  it('drops malformed and oversize datagrams without counting them', () => {
    const c = clock();
    expect(readDatagram(c.clients, Buffer.from([0, 1, 2, 255]))).toBe('malformed');
    expect(feed(c.clients, sent(200, '10.42.0.7', 'x'.repeat(5000)))).toBe('malformed');
    expect(feed(c.clients, 'GET /hls/cam.m3u8 HTTP/1.1')).toBe('malformed');
    expect(c.clients.count()).toBe(0);
  });

  it('listens on loopback UDP and counts what arrives (a real socket); a port already taken gives no count, not 0', async () => {
    const logged: string[] = [];
    const taken = createSocket('udp4');
    await new Promise<void>((r) => taken.bind(0, '127.0.0.1', () => r()));
    const free = createSocket('udp4');
    await new Promise<void>((r) => free.bind(0, '127.0.0.1', () => r()));
    const freePort = free.address().port;
    await new Promise<void>((r) => free.close(() => r()));
    const listening = listenHlsLog({ port: freePort, windowMs: 10_000 }, (event) => logged.push(event));
    await new Promise((r) => setTimeout(r, 100));
    expect(listening.count()).toBe(0);
    const send = (text: string) => new Promise<void>((r) => taken.send(text, freePort, '127.0.0.1', () => r()));
    await send(sent(200, '10.42.0.7', phone));
    await send(sent(200, '10.42.0.8', phone));
    await send('garbage');
    await send('garbage again');
    await new Promise((r) => setTimeout(r, 100));
    expect(listening.count()).toBe(2);
    // Said once, however many arrive.
    expect(logged).toEqual(['hls-log-malformed']);
    const clash = listenHlsLog({ port: taken.address().port, windowMs: 10_000 }, (event) => logged.push(event));
    await new Promise((r) => setTimeout(r, 100));
    expect(clash.count()).toBeUndefined();
    expect(logged).toEqual(['hls-log-malformed', 'hls-log-failed']);
    listening.close();
    clash.close();
    taken.close();
  });

  it('render: nginx sends only the /hls/ location\'s requests to the streamer\'s port, whose window is the playlist\'s span, 10 s at least', () => {
    const nginx = (yaml: string) => render(yaml)[0]!.files.find((f) => f.path === paths.nginxConf)!.content;
    const conf = nginx('hosts:\n  pi1: { address: 10.0.0.1 }\n');
    const hls = /location \/hls\/ \{[\s\S]*?\n        \}/.exec(conf)?.[0] ?? '';
    expect(hls).toContain(`access_log syslog:server=127.0.0.1:${hlsLogPort},nohostname,tag=camfleet_hls camfleet_hls if=$camfleet_hls_served;`);
    expect(conf).toMatch(/map \$status \$camfleet_hls_served \{\s+200 1;\s+206 1;\s+304 1;\s+default 0;\s+\}/);
    expect(conf.match(/syslog:/g)).toHaveLength(1);
    expect(conf).toContain("log_format camfleet_hls '$status $remote_addr $http_user_agent';");
    // HLS off: neither the format nor the log.
    expect(nginx('hosts:\n  pi1: { address: 10.0.0.1, viewer: { paths: [webrtc] } }\n')).not.toContain('camfleet_hls');
    const [pi1, slow] = resolve('hosts:\n  pi1: { address: 10.0.0.1 }\n  slow: { address: 10.0.0.2, camera: { fps: 10, gop: 40 } }\n');
    expect(streamerMetricsConfig(pi1!).hlsLog).toEqual({ port: hlsLogPort, windowMs: 10_000 });
    expect(streamerMetricsConfig(slow!).hlsLog).toEqual({ port: hlsLogPort, windowMs: 16_000 });
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

  it("an origin serves /metrics from its own exporter (no streamer there): its config names the relaying cameras and its config's version file; both are targets", () => {
    const yaml = 'hosts:\n  pi1: { address: 10.0.0.1, relay: { to: o } }\n  pi2: { address: 10.0.0.2, relay: { to: o } }\n  o: { address: 10.0.0.9, role: origin, viewer: { enabled: false }, access: { metrics: [10.0.0.50] } }\n';
    const [, , origin] = render(yaml);
    const files = origin!.files.map((f) => f.path);
    // Its own version: what the origin holds of a camera changes it (pi2's keyframes 3 s apart lengthen
    // its HLS fragments), what it does not hold leaves it alone (pi2's frame rate, keyframes still 1 s apart).
    const version = (o: typeof origin) => o!.files.find((f) => f.path === metricsPaths.version)?.content.split('\n').find((l) => l && !l.startsWith('#'));
    const withPi2 = (camera: string) => version(render(yaml.replace('pi2: { address: 10.0.0.2,', `pi2: { address: 10.0.0.2, camera: ${camera},`))[2]);
    expect(version(origin)).toMatch(/^[0-9a-f]{12}$/);
    expect(files).not.toContain(metricsPaths.down);
    expect(withPi2('{ fps: 15 }')).toBe(version(origin));
    expect(withPi2('{ gop: 90 }')).not.toBe(version(origin));
    expect(version(render(yaml.replace('access: { metrics: [10.0.0.50] }', 'access: { metrics: [10.0.0.51] }'))[2])).not.toBe(version(origin));
    expect(files).toEqual(expect.arrayContaining([originExporterPaths.bundle, originExporterPaths.config, originExporterPaths.unit, originExporterPaths.down]));
    expect(origin!.units.find((u) => u.name === 'camfleet-origin-exporter.service')).toMatchObject({ enabled: true, active: true });
    expect(origin!.units.find((u) => u.name === 'camfleet-streamer.service')).toMatchObject({ enabled: false, active: false });
    const config = JSON.parse(origin!.files.find((f) => f.path === originExporterPaths.config)!.content) as Record<string, unknown>;
    expect(config).toMatchObject({ socket: originExporterPaths.socket, statUrl: 'http://127.0.0.1:8080/stat', application: 'live', cameras: ['pi1', 'pi2'], versionFile: metricsPaths.version });
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
    for (const alert of ['CameraDown', 'CameraFpsLow', 'CameraDiskLow', 'PiThrottled', 'IngestDown']) expect(rules).toContain(`alert: ${alert}`);
    const dir = mkdtempSync(join(tmpdir(), 'camfleet-prom-'));
    for (const f of ['prometheus.yml', 'camfleet-alerts.yml']) writeFileSync(join(dir, f), readFileSync(join(root, 'examples/prometheus', f)));
    writeFileSync(join(dir, 'camfleet-targets.json'), JSON.stringify(prometheusTargets(resolve('hosts:\n  pi1: { address: 10.0.0.1 }\n'))));
    const r = promtool(['check', 'config', join(dir, 'prometheus.yml')]);
    expect(r.status, r.output).toBe(0);
  });
});
