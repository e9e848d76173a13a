// npm run probe / npm run view, run as the operator runs them (tsx client/cli.ts), against a real
// nginx-rtmp on loopback fed by a real ffmpeg using the streamer's own flags.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateLatency, parseShowinfo, parseStreamLine } from '../client/probe.ts';
import { maskKey, redactUrl } from '../client/url.ts';
import { ffplayArgs } from '../client/view.ts';
import { defaultConfig } from '../streamer/config.ts';
import { ffmpegArgs } from '../streamer/ffmpeg-args.ts';
import { freePort, startNginxRtmp, type NginxRtmp } from './support/nginx-rtmp.ts';
import { alive, childPids } from './support/streamer-process.ts';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'camfleet-client-test-'));
const key = 'k3y-0f-pi1-s3cret';
let nginx: NginxRtmp;
let publisher: ChildProcess;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `npm run <command> -- args`, minus npm: node + tsx on client/cli.ts. */
function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'client/cli.ts'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 }));
  });
}

beforeAll(async () => {
  nginx = await startNginxRtmp();
  // A small picture: this proves the client, not the encoder (test/streamer.test.ts does 720p).
  const config = { ...defaultConfig, device: 'lavfi:testsrc2', width: 320, height: 240, fps: 25, gop: 25, bitrate: 400_000, server: nginx.server, streamKey: key };
  publisher = spawn('ffmpeg', ffmpegArgs(config, 'libx264'), { stdio: 'ignore' });
  // Wait until nginx-rtmp has the stream: a probe that reads frames.
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const r = await cli(['probe', '--url', nginx.url(key), '--seconds', '0.2', '--timeout', '3']);
    if (r.code === 0) return;
  }
  throw new Error(`publisher never reached nginx-rtmp:\n${nginx.log()}`);
});

afterAll(async () => {
  publisher?.kill('SIGKILL');
  await nginx?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('probe', () => {
  it('--json reports codec, size, fps, bitrate, time to first frame and a latency estimate', async () => {
    const r = await cli(['probe', '--url', nginx.url(key), '--seconds', '3', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ ok: true, codec: 'h264', pixelFormat: 'yuv420p', width: 320, height: 240 });
    expect(report.fps).toBeGreaterThan(24);
    expect(report.fps).toBeLessThan(26);
    // 400 kbit/s configured: what arrives is within a factor of two of it.
    expect(report.bitrate).toBeGreaterThan(200_000);
    expect(report.bitrate).toBeLessThan(800_000);
    expect(report.firstFrameMs).toBeGreaterThan(0);
    expect(report.firstFrameMs).toBeLessThan(5000);
    expect(report.latencyEstimateMs).toBeGreaterThan(0);
    expect(report.latencyEstimateMs).toBeLessThan(1000);
    expect(report.frames).toBeGreaterThan(50);
    // The key is a secret: masked unless --show-key.
    expect(report.url).toBe(`rtmp://127.0.0.1:${nginx.port}/live/***`);
    expect(r.stdout + r.stderr).not.toContain(key);
  });

  it('--host reads the address, port, application and key from the inventory', async () => {
    const inventory = join(dir, 'inventory.yaml');
    writeFileSync(
      inventory,
      `defaults:
  ssh: { user: pi, identityFile: ./id_ed25519, knownHostsFile: ./known_hosts }
  camera: { resolution: 320x240, fps: 25 }
  stream: { port: ${nginx.port}, application: live, key: { env: CAM_KEY } }
hosts:
  pi1: { address: 127.0.0.1 }
  pi2: { address: 127.0.0.2 }
`,
    );
    const r = await cli(['probe', '--host', 'pi1', '--inventory', inventory, '--seconds', '1'], { ...process.env, CAM_KEY: key });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^stream   rtmp://127\\.0\\.0\\.1:${nginx.port}/live/\\*\\*\\*$`, 'm'));
    expect(r.stdout).toMatch(/^video    h264 \([\w ]+\) yuv420p 320x240 @ 2[45]\.\d fps, \d+\.\d\d Mbit\/s$/m);
    expect(r.stdout).toMatch(/^latency  ~\d+ ms/m);

    const unknown = await cli(['probe', '--host', 'pi9', '--inventory', inventory], { ...process.env, CAM_KEY: key });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no host "pi9" in .*\(hosts: pi1, pi2\)/);
    const noSecret = await cli(['probe', '--host', 'pi1', '--inventory', inventory], { ...process.env, CAM_KEY: '' });
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/CAM_KEY/);
  });

  it('exits 1 when nothing listens, saying so', async () => {
    const port = await freePort();
    const r = await cli(['probe', '--url', `rtmp://127.0.0.1:${port}/live/${key}`, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: expect.stringMatching(/Connection refused/i) });
    expect(r.stdout + r.stderr).not.toContain(key);
  });

  it('exits 1 when the server is up but nobody publishes, after --timeout', async () => {
    const r = await cli(['probe', '--url', nginx.url('nobody'), '--timeout', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no frames within 2 s \(is anything publishing\?\)/);
    expect(r.ms).toBeLessThan(8000);
  });

  it('exits 2 on bad arguments, with the usage', async () => {
    const r = await cli(['probe', '--url', 'http://example/live/x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--url must look like rtmp:\/\/host:port\/app\/key/);
    expect((await cli(['probe'])).stderr).toMatch(/give either --host NAME or --url/);
  });
});

describe('view', () => {
  it('says clearly how to get ffplay when it is missing', async () => {
    const emptyPath = join(dir, 'bin');
    const r = await cli(['view', '--url', nginx.url(key)], { ...process.env, PATH: emptyPath });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ffplay was not found on PATH/);
    expect(r.stderr).toMatch(/apt install ffmpeg/);
    expect(r.stderr).not.toContain(key);
  });

  it('plays in ffplay, and takes ffplay with it when stopped by a signal', async () => {
    // SDL's dummy drivers: a real ffplay playing the real stream, with no display here.
    const view = spawn(process.execPath, ['--import', 'tsx', join(root, 'client/cli.ts'), 'view', '--url', nginx.url(key)], {
      cwd: root,
      env: { ...process.env, SDL_VIDEODRIVER: 'dummy', SDL_AUDIODRIVER: 'dummy' },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let stderr = '';
    view.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const closed = new Promise<number | null>((resolve) => view.once('close', (code) => resolve(code)));
    const pid = view.pid ?? 0;
    try {
      let ffplay: number | undefined;
      for (let i = 0; i < 50 && !ffplay; i++) {
        await new Promise((r) => setTimeout(r, 100));
        ffplay = childPids(pid).find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('ffplay\0'));
      }
      expect(ffplay).toBeDefined();
      const argv = readFileSync(`/proc/${ffplay}/cmdline`, 'utf8').split('\0');
      expect(argv).toEqual(expect.arrayContaining(['-flags', 'low_delay', nginx.url(key)]));
      await new Promise((r) => setTimeout(r, 1500));
      expect(alive(ffplay ?? 0)).toBe(true); // still playing

      const t0 = Date.now();
      view.kill('SIGTERM');
      expect(await closed).toBe(0);
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(alive(ffplay ?? 0)).toBe(false);
      expect(stderr).toMatch(/^playing rtmp:\/\/127\.0\.0\.1:\d+\/live\/\*\*\* /);
    } finally {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone: the point of the test.
      }
    }
  });

  it('plays with low-latency options and a title without the key', () => {
    const args = ffplayArgs(nginx.url(key));
    expect(args).toEqual(expect.arrayContaining(['-flags', 'low_delay', '-framedrop']));
    expect(args[args.indexOf('-probesize') + 1]).toBe('32');
    expect(args[args.indexOf('-window_title') + 1]).not.toContain(key);
    expect(args.at(-1)).toBe(nginx.url(key));
  });
});

describe('parsing ffmpeg output', () => {
  it('reads the stream line and showinfo lines', () => {
    expect(parseStreamLine('  Stream #0:0: Video: h264 (High), yuv420p(progressive), 1280x720, 2500 kb/s, 30 fps')).toEqual({
      codec: 'h264',
      profile: 'High',
      pixelFormat: 'yuv420p',
    });
    const f = parseShowinfo('[Parsed_showinfo_0 @ 0x55] n:   3 pts:    100 pts_time:0.1     duration:33 s:1280x720 i:P', 5);
    expect(f).toEqual({ n: 3, ptsMs: 100, arrivedAt: 5, width: 1280, height: 720 });
  });

  it('estimates latency from rtt, one frame and the buffering seen', () => {
    // 10 fps; every frame after the first arrives 50 ms later than its timestamp says.
    const frames = [0, 1, 2, 3, 4].map((n) => ({ n, ptsMs: n * 100, arrivedAt: 1000 + n * 100 + (n ? 50 : 0), width: 2, height: 2 }));
    expect(estimateLatency(frames, 4, 10)).toBe(2 + 100 + 50);
    expect(estimateLatency(frames.slice(0, 1), 4, 10)).toBeNull();
  });

  it('masks the key in URLs and in text', () => {
    const url = `rtmp://10.0.0.1:1935/live/${key}`;
    expect(maskKey(url)).toBe('rtmp://10.0.0.1:1935/live/***');
    expect(redactUrl(`${url}: failed; key ${key}`, url)).toBe('rtmp://10.0.0.1:1935/live/***: failed; key ***');
  });
});
