// The streamer as the Pi runs it (the esbuild bundle under node), with real ffmpeg publishing into
// a real nginx-rtmp on loopback, read back by the client's probe. No mocks.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeStream } from '../client/probe.ts';
import { paths } from '../provision/core/render/paths.ts';
import { render } from './support/fleet.ts';
import { startNginxRtmp, type NginxRtmp } from './support/nginx-rtmp.ts';
import { alive, cpuTicks, removeStreamerBundle, startStreamer, streamerBundle, type StreamerProcess } from './support/streamer-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'camfleet-streamer-test-'));
const running: StreamerProcess[] = [];
const feeders: ChildProcess[] = [];
let nginx: NginxRtmp;

beforeAll(async () => {
  nginx = await startNginxRtmp();
  await streamerBundle();
});

afterAll(async () => {
  for (const s of running) await s.terminate();
  for (const f of feeders) f.kill('SIGKILL');
  await nginx?.stop();
  rmSync(dir, { recursive: true, force: true });
  removeStreamerBundle();
});

async function streamer(args: string[]): Promise<StreamerProcess> {
  const s = await startStreamer(args);
  running.push(s);
  return s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('streaming a 720p30 test pattern with encoder auto', () => {
  let s: StreamerProcess;
  const statusFile = join(dir, 'status.json');
  const metricsSocket = join(dir, 'metrics.sock');

  beforeAll(async () => {
    // The config and the key file exactly as camfleet renders them for a Pi, passed as the
    // systemd unit passes them; only the status file moves out of /run for the test.
    const [desired] = render(`
defaults:
  ssh: { user: pi, identityFile: /k, knownHostsFile: /kh }
hosts:
  pi1:
    address: 10.0.0.1
    camera: { device: 'lavfi:testsrc2', resolution: 1280x720, fps: 30, encoder: auto }
    stream: { port: ${nginx.port}, application: live, key: hd, statPort: ${nginx.statPort} }
`);
    const rendered = (path: string) => {
      const file = desired?.files.find((f) => f.path === path);
      if (!file) throw new Error(`no ${path} rendered`);
      return file.content;
    };
    const config = join(dir, 'streamer.json');
    const key = join(dir, 'stream-key');
    // The metrics socket moves out of /run too.
    const json = JSON.parse(rendered(paths.streamerConfig)) as { metrics: { socket: string } };
    json.metrics.socket = metricsSocket;
    writeFileSync(config, JSON.stringify(json));
    writeFileSync(key, rendered(paths.streamKey));
    s = await streamer(['--config', config, '--stream-key-file', key, '--status-file', statusFile]);
    await s.waitFor((e) => e.event === 'streaming', 20_000);
  });

  it('publishes, and probe reads 720p30 H.264 in yuv420p from nginx-rtmp', async () => {
    const r = await probeStream(nginx.url('hd'), { seconds: 3, timeoutMs: 10_000 });
    expect(r.codec).toBe('h264');
    expect(r.pixelFormat).toBe('yuv420p');
    expect([r.width, r.height]).toEqual([1280, 720]);
    expect(r.fps).toBeGreaterThan(29);
    expect(r.fps).toBeLessThan(31);
    expect(r.frames).toBeGreaterThan(60);
  });

  it('serves Prometheus metrics on its socket: promtool accepts them, live at ~30 fps, one RTMP viewer while probed', async () => {
    const scrape = () => unixGet(metricsSocket, '/metrics');
    const probing = probeStream(nginx.url('hd'), { seconds: 4, timeoutMs: 10_000 });
    await sleep(2500);
    const text = await scrape();
    await probing;
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.error, 'promtool (.ci/apt-packages: prometheus)').toBeUndefined();
    expect({ status: check.status, output: check.stdout + check.stderr }).toEqual({ status: 0, output: '' });
    expect(text).toMatch(/^camfleet_stream_up 1$/m);
    expect(text).toMatch(/^camfleet_encoder_info\{encoder="libx264"\} 1$/m);
    expect(text).toMatch(/^camfleet_viewers\{path="rtmp"\} 1$/m);
    expect(text).toMatch(/^camfleet_stream_frames_dropped_total \d+$/m);
    const fps = Number(/^camfleet_stream_fps ([\d.]+)$/m.exec(text)?.[1]);
    expect(fps).toBeGreaterThan(25);
    expect(Number(/^camfleet_stream_bitrate_bytes_per_second ([\d.]+)$/m.exec(text)?.[1])).toBeGreaterThan(12_500);
    expect(Number(/^camfleet_rtmp_received_bytes_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(100_000);
    // Outside systemd: no restart count, no config version file; nothing is made up for them.
    expect(text).not.toMatch(/camfleet_streamer_restarts_total|camfleet_config_info/);
    expect(await unixGet(metricsSocket, '/other').catch((e: Error) => e.message)).toMatch(/404/);
  });

  it('auto chose libx264 because h264_v4l2m2m failed its test encode, and said so', () => {
    // This machine has no V4L2 mem2mem encoder device, like a Pi 5.
    const choice = s.events.find((e) => e.event === 'encoder');
    expect(choice?.encoder).toBe('libx264');
    expect(String(choice?.reason)).toMatch(/^h264_v4l2m2m unavailable \(.+\): using libx264$/);
    const start = s.events.find((e) => e.event === 'ffmpeg-start');
    expect(start?.args).toContain('libx264');
    expect(start?.args).toContain('zerolatency');
  });

  it('logs one JSON object per line, with the stream key masked', () => {
    expect(s.events.map((e) => e.event).slice(0, 4), JSON.stringify(s.events.slice(0, 4))).toEqual(['start', 'encoder', 'ffmpeg-start', 'streaming']);
    expect(s.events.every((e) => typeof e.time === 'string' && !Number.isNaN(Date.parse(e.time)))).toBe(true);
    expect(JSON.stringify(s.events)).not.toContain('/live/hd');
    // The key read from its file is no field of the start line; the server it publishes to is.
    const start = s.events.find((e) => e.event === 'start');
    expect(start).toMatchObject({ server: `rtmp://127.0.0.1:${nginx.port}/live` });
    expect(start).not.toHaveProperty('streamKey');
  });

  it('writes its status: state, encoder, restarts, last error, uptime, measured fps', () => {
    const status = JSON.parse(readFileSync(statusFile, 'utf8')) as Record<string, unknown>;
    expect(status).toMatchObject({ state: 'streaming', encoder: 'libx264', restarts: 0, lastError: null, pid: s.pid });
    expect(status.uptimeSeconds).toBe(Math.round((Date.parse(String(status.updatedAt)) - Date.parse(String(status.startedAt))) / 1000));
    expect(Date.parse(String(status.startedAt))).toBeLessThanOrEqual(Date.parse(String(status.streamingSince)));
    // The frame rate as measured (what provision's health gate holds to 90% of camera.fps): near the 30 configured, not a frame count.
    expect(status.fps).toBeGreaterThan(15);
    expect(status.fps).toBeLessThan(33);
  });

  it('SIGTERM stops ffmpeg and the streamer within 2 s', async () => {
    const ffmpeg = s.children();
    expect(ffmpeg).toHaveLength(1);
    expect(readFileSync(`/proc/${ffmpeg[0]}/cmdline`, 'utf8')).toMatch(/^ffmpeg\0/);
    const { ms, code } = await s.terminate();
    expect(ms).toBeLessThan(2000);
    expect(code).toBe(0);
    expect(ffmpeg.filter(alive)).toEqual([]);
    expect(s.events.at(-1)?.event).toBe('stopped');
    expect(JSON.parse(readFileSync(statusFile, 'utf8'))).toMatchObject({ state: 'stopped' });
  });
});

describe('when nginx-rtmp dies', () => {
  it('streams again within 5 s of nginx starting again, with no intervention', async () => {
    const s = await streamer([
      '--device', 'lavfi:testsrc2', '--resolution', '320x240', '--fps', '30', '--encoder', 'libx264',
      '--server', `rtmp://127.0.0.1:${nginx.port}/live`, '--stream-key', 'restart',
    ]);
    await s.waitFor((e) => e.event === 'streaming', 15_000);
    await probeStream(nginx.url('restart'), { seconds: 0.5, timeoutMs: 5000 });

    const mark = s.events.length;
    await nginx.kill();
    // ffmpeg notices the dropped connection, and the streamer waits for the server.
    const exited = await s.waitFor((e) => e.event === 'ffmpeg-exited', 10_000, mark);
    expect(exited.restarts).toBe(1);
    // Down for longer than the backoff cap: coming back must not wait for a grown backoff.
    await sleep(5000);

    const t0 = Date.now();
    await nginx.restart();
    const r = await probeStream(nginx.url('restart'), { seconds: 0.5, timeoutMs: 8000 });
    // Conservative: from restarting nginx to the probe finishing, less the half second it read for.
    const backMs = Date.now() - t0 - 500;
    expect(r.frames).toBeGreaterThan(0);
    expect(backMs).toBeLessThan(5000);
    const events = s.events.slice(mark).map((e) => e.event);
    expect(events).toContain('waiting-for-server');
    expect(events.at(-1)).toBe('streaming');
    await s.terminate();
  });
});

describe('a camera that goes away and comes back', () => {
  // The camera is a FIFO fed by an ffmpeg making MJPEG in yuvj422p, as USB cameras deliver it.
  const fifo = join(dir, 'camera.mjpeg');
  let feeder: ChildProcess | undefined;

  const plugIn = (): void => {
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    feeder = spawn('ffmpeg', [
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15',
      '-c:v', 'mjpeg', '-pix_fmt', 'yuvj422p', '-q:v', '5', '-f', 'mjpeg', '-y', fifo,
    ], { stdio: 'ignore' });
    feeders.push(feeder);
  };
  const unplug = (): void => {
    // Gone first, then silent: like a USB camera whose device node vanishes as it stops.
    rmSync(fifo);
    feeder?.kill('SIGKILL');
  };

  it('waits for the device without spinning, then streams when it appears, and again after it is unplugged', async () => {
    const s = await streamer([
      '--device', `file:${fifo}`, '--input-format', 'mjpeg', '--resolution', '320x240', '--fps', '15', '--encoder', 'auto',
      '--server', `rtmp://127.0.0.1:${nginx.port}/live`, '--stream-key', 'usb',
    ]);
    // No camera yet: it waits, and waiting costs (next to) no CPU.
    await s.waitFor((e) => e.event === 'waiting-for-device', 15_000);
    const ticks = cpuTicks(s.pid);
    await sleep(2000);
    expect(cpuTicks(s.pid) - ticks).toBeLessThan(10); // < 0.1 s of CPU in 2 s
    expect(s.children()).toEqual([]);

    plugIn();
    await s.waitFor((e) => e.event === 'device-appeared', 5000);
    await s.waitFor((e) => e.event === 'streaming', 10_000);
    const first = await probeStream(nginx.url('usb'), { seconds: 1, timeoutMs: 8000 });
    expect([first.codec, first.pixelFormat, first.width, first.height]).toEqual(['h264', 'yuv420p', 320, 240]);

    const mark = s.events.length;
    unplug();
    await s.waitFor((e) => e.event === 'waiting-for-device', 10_000, mark);
    await sleep(1500);
    expect(s.children()).toEqual([]);

    plugIn();
    await s.waitFor((e) => e.event === 'streaming', 10_000, mark);
    const again = await probeStream(nginx.url('usb'), { seconds: 1, timeoutMs: 8000 });
    expect(again.frames).toBeGreaterThan(5);

    const { ms } = await s.terminate();
    expect(ms).toBeLessThan(2000);
    unplug();
  });

  it('exits at once on SIGTERM while waiting for the device', async () => {
    const s = await streamer(['--device', `file:${join(dir, 'never')}`, '--encoder', 'libx264', '--server', `rtmp://127.0.0.1:${nginx.port}/live`]);
    await s.waitFor((e) => e.event === 'waiting-for-device', 10_000);
    const { ms, code } = await s.terminate();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(2000);
  });
});

describe('bad configuration', () => {
  it('exits 2 naming the field, with a JSON log line', async () => {
    const s = await streamer(['--resolution', '1281x720', '--fps', 'fast']);
    expect(await s.exited()).toEqual({ code: 2, signal: null });
    expect(s.events.map((e) => e.event)).toEqual(['config-error']);
    expect(String(s.events[0]?.error)).toMatch(/--fps must be a number, got "fast"/);
    expect(s.children()).toEqual([]);
  });
});

/** GET over a Unix socket (how nginx reaches the streamer's metrics); rejects on a status other than 200. */
function unixGet(socketPath: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ socketPath, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${res.statusCode}: ${body}`))));
    }).on('error', reject);
  });
}
