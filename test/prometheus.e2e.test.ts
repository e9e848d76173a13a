// A real Prometheus server (Debian's prometheus package, .ci/apt-packages) scrapes two lab Pis
// found through `render --prometheus`, with the repository's own alert rules (examples/prometheus/,
// their `for:` shortened to seconds): every endpoint passes `promtool check metrics`, both Pis
// report a live stream, and stopping one Pi's streamer fires CameraDown for that Pi alone.
// Prometheus listens on this machine's loopback only; the Pis admit this machine's lab address.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerDown, containerUp } from '../lab/container.ts';
import type { LabHost } from '../lab/state.ts';
import { camfleet, root } from './support/cli.ts';
import { labUnavailable, onHost, writeInventory } from './support/lab.ts';
import { promtoolCheckMetrics } from './support/promtool.ts';

const why = labUnavailable() ?? (spawnSync('sh', ['-c', 'command -v prometheus && command -v promtool']).status === 0 ? undefined : 'prometheus is not installed (sudo npm test installs it: .ci/apt-packages)');
if (why) console.warn(`skipping the Prometheus end-to-end test: ${why}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(500);
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}


interface Alert {
  labels: Record<string, string>;
  state: string;
}

describe.skipIf(!!why)('Prometheus scrapes lab Pis', () => {
  let pis: LabHost[];
  let inventory: string;
  let prometheus: ChildProcess | undefined;
  let api: string;
  const metricsUrl = (pi: LabHost) => `http://${pi.address}:8080/metrics`;

  beforeAll(async () => {
    // Packages installed already: this test is about metrics, not apt.
    pis = await containerUp({ hosts: 2, layer: 'ready' });
    // This machine is 10.213.N.1 on each lab Pi's network: the scraper's address.
    inventory = writeInventory(pis, (doc) => {
      doc.defaults.access = { metrics: ['10.213.0.0/16'] };
    });
    const r = await camfleet(['provision', '--inventory', inventory, '--all'], { timeoutMs: 600_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, 900_000);
  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    if (!why) await containerDown();
  });

  it('every Pi serves /metrics that promtool accepts, with its stream live', async () => {
    for (const pi of pis) {
      const text = await until(`${pi.name}'s stream in its metrics`, 60_000, async () => {
        const t = await (await fetch(metricsUrl(pi))).text();
        return /^camfleet_stream_up 1$/m.test(t) ? t : undefined;
      });
      expect(promtoolCheckMetrics(text)).toEqual({ status: 0, output: '' });
      expect(text).toMatch(/^camfleet_streamer_up 1$/m);
      expect(text).toMatch(/^camfleet_encoder_info\{encoder="libx264"\} 1$/m);
      expect(text).toMatch(/^camfleet_stream_configured_fps 15$/m);
      expect(text).toMatch(/^camfleet_config_info\{version="[0-9a-f]{12}"\} 1$/m);
      expect(text).toMatch(/^camfleet_disk_free_bytes \d+$/m);
      expect(text).toMatch(/^camfleet_host_uptime_seconds \d+$/m);
      // The lab has no vcgencmd: nothing is made up for it.
      expect(text).not.toMatch(/camfleet_soc_throttling/);
      // ffmpeg's own figures arrive once a second.
      const fps = await until(`${pi.name}'s fps`, 20_000, async () => {
        const m = /^camfleet_stream_fps ([\d.]+)$/m.exec(await (await fetch(metricsUrl(pi))).text());
        return m ? Number(m[1]) : undefined;
      });
      expect(fps).toBeGreaterThan(10);
    }
  }, 120_000);

  it('Prometheus finds the Pis through render --prometheus, and an alert fires when one camera is stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camfleet-prom-'));
    const r = await camfleet(['render', '--inventory', inventory, '--all', '--prometheus', join(dir, 'camfleet-targets.json')]);
    expect(r.code, r.stderr).toBe(0);
    // The shipped rules, their `for:` in seconds rather than minutes.
    const rules = readFileSync(join(root, 'examples/prometheus/camfleet-alerts.yml'), 'utf8').replace(/for: \d+m/g, 'for: 3s');
    writeFileSync(join(dir, 'camfleet-alerts.yml'), rules);
    const config = readFileSync(join(root, 'examples/prometheus/prometheus.yml'), 'utf8').replace(/(scrape|evaluation)_interval: 15s/g, '$1_interval: 1s');
    writeFileSync(join(dir, 'prometheus.yml'), config);
    const check = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);

    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    let log = '';
    prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const query = async (q: string) => ((await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;

    // Both Pis up and live, as Prometheus sees them, labelled with their inventory names.
    const live = await until('both Pis live in Prometheus', 60_000, async () => {
      const res = await query('camfleet_stream_up == 1');
      return res.length === 2 ? res.map((x) => x.metric.host).sort() : undefined;
    }).catch((e: Error) => {
      throw new Error(`${e.message}\n${log.slice(-2000)}`);
    });
    expect(live).toEqual(pis.map((p) => p.name).sort());

    const [kept, stopped] = pis as [LabHost, LabHost];
    onHost(stopped, 'sudo systemctl stop camfleet-streamer');
    // nginx answers for the stopped streamer: still a valid endpoint, saying so.
    const down = await (await fetch(metricsUrl(stopped))).text();
    expect(promtoolCheckMetrics(down)).toEqual({ status: 0, output: '' });
    expect(down).toMatch(/^camfleet_streamer_up 0$/m);
    expect(down).toMatch(/^camfleet_stream_up 0$/m);

    // Only CameraDown is looked at: on this shared 2-core machine a busy moment may rightly show
    // as CameraFpsLow too.
    const cameraDown = async () => ((await (await fetch(`${api}/api/v1/alerts`)).json()) as { data: { alerts: Alert[] } }).data.alerts.filter((a) => a.labels.alertname === 'CameraDown');
    const firing = await until('CameraDown to fire', 60_000, async () => {
      const f = (await cameraDown()).filter((a) => a.state === 'firing');
      return f.length ? f : undefined;
    });
    expect(firing.map((a) => `${a.labels.alertname} ${a.labels.host}`)).toEqual([`CameraDown ${stopped.name}`]);
    expect(await cameraDown()).toHaveLength(1);
    expect(firing[0]?.labels.severity).toBe('critical');
    expect((await query(`camfleet_stream_up{host="${kept.name}"}`))[0]?.value[1]).toBe('1');

    // Started again, the alert clears.
    onHost(stopped, 'sudo systemctl start camfleet-streamer');
    await until('CameraDown to clear', 60_000, async () => ((await cameraDown()).length === 0 ? true : undefined));
  }, 240_000);
});
