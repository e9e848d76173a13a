// Origin relay and the fleet wall on four container lab Pis: lab1-lab3 are cameras relaying to
// lab4, provisioned as an origin (nginx-rtmp, HLS, the pages; no camera). Everything is real: the
// cameras' nginx-rtmp pushes over the lab network, the origin's allow-list refuses this machine,
// a camera's link is cut (its veth set down: containerLink), and Debian's chromium plays the wall.
// Then, on the same Pis, external ingests (issue 29): lab1 also copies its stream to a lab RTMPS
// ingest on this machine (lab/rtmps-ingest.ts: nginx-rtmp behind nginx's TLS proxy, a lab CA's
// certificate for ingest.lab), beside three ingests that must fail, each for its own reason.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { probeStream } from '../client/probe.ts';
import { startWallServer, wallSources } from '../client/wall.ts';
import { loadInventory } from '../provision/converge/load-inventory.ts';
import { metricsPaths } from '../provision/core/parts/metrics.ts';
import { containerDown, containerLink, containerUp } from '../lab/container.ts';
import type { LabHost } from '../lab/state.ts';
import { browserUnavailable, countVideoFrames, launchBrowser, openPhonePage } from '../lab/browser.ts';
import { camfleet } from './support/cli.ts';
import { expectMostFramesShown, type FramesShown } from './support/frames.ts';
import { labUnavailable, onHost, streamerFfmpeg, writeInventory, type Edit } from './support/lab.ts';
import { promtoolCheckMetrics } from './support/promtool.ts';
import { startRtmpsIngest, type RtmpsIngest } from '../lab/rtmps-ingest.ts';

interface Report {
  hosts: { host: string; outcome: string; plan: { changes: number } | null; error: string | null }[];
}
const outcomes = (stdout: string) => Object.fromEntries((JSON.parse(stdout) as Report).hosts.map((h) => [h.host, { outcome: h.outcome, changes: h.plan?.changes ?? null }]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const why = labUnavailable() ?? browserUnavailable();
if (why) console.warn(`skipping origin relay end-to-end tests: ${why}`);

const cameraNames = ['lab1', 'lab2', 'lab3'];

/**
 * Frames each wall tile's video presents in three seconds, and the stream time they span, counted
 * in the page once every tile shows frames.
 */
async function tileFrames(page: Page): Promise<Record<string, FramesShown>> {
  const tiles = await countVideoFrames(page, 'video[data-camera]', 3000, 30_000);
  return Object.fromEntries(tiles.map((t) => [t.camera, { frames: t.frames, streamSeconds: t.streamSeconds }]));
}

describe.skipIf(!!why)('origin relay and fleet wall: three lab Pis relay to a fourth provisioned as origin', () => {
  let hosts: LabHost[];
  let inventory: string;
  let browser: Browser;
  const origin = () => hosts[3]!;
  const byName = (name: string) => hosts.find((h) => h.name === name)!;
  const originUrl = (camera: string) => `rtmp://${origin().address}:1935/live/${camera}`;
  // Every camera relays to lab4; the origin's statistics and every host's metrics are readable
  // from the lab network, for this test to watch a stream come back.
  const lab = ['127.0.0.1', '10.213.0.0/16'];
  const relay: Edit = (doc) => {
    doc.defaults.relay = { to: 'lab4' };
    doc.defaults.access = { ...(doc.defaults.access as object | undefined), metrics: lab };
    doc.hosts.lab4 = { ...doc.hosts.lab4, role: 'origin', access: { stat: lab, metrics: lab } };
  };
  /** A host's /metrics as Prometheus would scrape it. */
  const metricsOf = async (host: LabHost): Promise<string> => (await fetch(`http://${host.address}:8080/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  /** One sample's value in a metrics text, undefined when it is not there. */
  const sample = (text: string, series: string): number | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
  const provision = (...args: string[]) => camfleet(['provision', '--inventory', inventory, '--all', '--json', ...args]);

  /** Bytes the origin has received for a camera's stream so far, or undefined when it has no such stream. */
  const bytesIn = async (camera: string): Promise<number | undefined> => {
    const xml = await (await fetch(`http://${origin().address}:8080/stat`, { signal: AbortSignal.timeout(2000) })).text();
    const stream = (xml.match(/<stream>[\s\S]*?<\/stream>/g) ?? []).find((s) => s.includes(`<name>${camera}</name>`));
    const bytes = stream && /<bytes_in>(\d+)<\/bytes_in>/.exec(stream)?.[1];
    return bytes === undefined || !/<publishing\s*\/>/.test(stream!) ? undefined : Number(bytes);
  };
  /** Whether the origin is receiving a camera's stream right now: its byte count grows. */
  const flowing = async (camera: string): Promise<boolean> => {
    const before = await bytesIn(camera).catch(() => undefined);
    await sleep(250);
    const after = await bytesIn(camera).catch(() => undefined);
    return before !== undefined && after !== undefined && after > before;
  };
  const waitUntil = async (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> => {
    const start = Date.now();
    while (!(await check())) {
      if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await sleep(50);
    }
    return Date.now() - start;
  };

  beforeAll(async () => {
    hosts = await containerUp({ hosts: 4, layer: 'ready' });
    inventory = writeInventory(hosts, relay);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    if (!why) await containerDown();
  });

  it('one rollout converges all four, and the origin serves every camera (probed from here)', async () => {
    const first = await provision();
    expect(first.stderr).not.toMatch(/fail|error/i);
    expect(first.code).toBe(0);
    expect(outcomes(first.stdout)).toMatchObject({ lab1: { outcome: 'changed' }, lab2: { outcome: 'changed' }, lab3: { outcome: 'changed' }, lab4: { outcome: 'changed' } });
    // The origin has no camera and no streamer.
    expect(onHost(origin(), 'systemctl is-active camfleet-streamer || true').trim()).not.toBe('active');
    for (const camera of cameraNames) {
      await waitUntil(`${camera} on the origin`, () => flowing(camera), 30_000);
      const probe = await probeStream(originUrl(camera), { seconds: 2, timeoutMs: 15_000 });
      expect({ camera, codec: probe.codec, width: probe.width, height: probe.height }).toEqual({ camera, codec: 'h264', width: 640, height: 360 });
      // 15 fps for two seconds.
      expect(probe.frames).toBeGreaterThanOrEqual(20);
    }
  });

  it('a relaying Pi encodes once, and its own viewers still play it locally', async () => {
    for (const camera of cameraNames) {
      const pi = byName(camera);
      // One encoder (the streamer's ffmpeg); the push to the origin is nginx forwarding the same stream,
      // and any other ffmpeg on the Pi (an ingest's) only copies it.
      expect(onHost(pi, `pgrep -c ${streamerFfmpeg}`).trim()).toBe('1');
      expect(onHost(pi, `pgrep -a -x ffmpeg | grep -c -v -e '-c:v copy'`).trim()).toBe('1');
      const local = await probeStream(`rtmp://${pi.address}:1935/live/cam`, { seconds: 1, timeoutMs: 15_000 });
      expect(local.frames).toBeGreaterThanOrEqual(8);
      expect((await fetch(`http://${pi.address}/hls/cam.m3u8`, { signal: AbortSignal.timeout(5000) })).status).toBe(200);
    }
  });

  it("the origin's /metrics (its own exporter): every camera's relayed stream up at its rate, its players counted; each camera's relay up; promtool accepts both", async () => {
    const text = await metricsOf(origin());
    expect(promtoolCheckMetrics(text)).toEqual({ status: 0, output: '' });
    expect(sample(text, 'camfleet_origin_exporter_up')).toBe(1);
    // The origin's own disk and uptime, under a camera Pi's names.
    expect(sample(text, 'camfleet_disk_free_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'camfleet_disk_size_bytes')).toBeGreaterThanOrEqual(sample(text, 'camfleet_disk_free_bytes')!);
    expect(sample(text, 'camfleet_host_uptime_seconds')).toBeGreaterThan(0);
    // Its config's version, as the run wrote it there, under a camera Pi's name.
    const version = onHost(origin(), `grep -v '^#' ${metricsPaths.version}`).trim();
    expect(version).toMatch(/^[0-9a-f]{12}$/);
    expect(sample(text, `camfleet_config_info{version="${version}"}`)).toBe(1);
    for (const camera of cameraNames) {
      expect([camera, sample(text, `camfleet_origin_stream_up{camera="${camera}"}`)]).toEqual([camera, 1]);
      expect([camera, sample(text, `camfleet_origin_stream_fps{camera="${camera}"}`)]).toEqual([camera, 15]);
      expect(sample(text, `camfleet_origin_rtmp_received_bytes_total{camera="${camera}"}`)).toBeGreaterThan(0);
      const pi = await metricsOf(byName(camera));
      expect(promtoolCheckMetrics(pi)).toEqual({ status: 0, output: '' });
      expect([camera, sample(pi, 'camfleet_relay_up')]).toEqual([camera, 1]);
    }
    // A player on the origin is counted while it plays, on its camera only.
    const players = (camera: string) => metricsOf(origin()).then((t) => sample(t, `camfleet_origin_viewers{camera="${camera}",path="rtmp"}`));
    expect(await players('lab1')).toBe(0);
    const playing = probeStream(originUrl('lab1'), { seconds: 4, timeoutMs: 15_000 });
    await waitUntil('a player of lab1 counted on the origin', async () => (await players('lab1')) === 1, 10_000);
    expect(await players('lab2')).toBe(0);
    await playing;
    await waitUntil('the player gone from the count', async () => (await players('lab1')) === 0, 10_000);
    // The exporter stopped: nginx answers for it, so "down" is a metric, not a failed scrape.
    onHost(origin(), 'sudo systemctl stop camfleet-origin-exporter');
    try {
      const down = await metricsOf(origin());
      expect(promtoolCheckMetrics(down)).toEqual({ status: 0, output: '' });
      expect(down.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['camfleet_origin_exporter_up 0']);
    } finally {
      onHost(origin(), 'sudo systemctl start camfleet-origin-exporter');
    }
    await waitUntil('the exporter back', async () => sample(await metricsOf(origin()), 'camfleet_origin_exporter_up') === 1, 10_000);
  });

  it('the origin admits publishers from the fleet only', async () => {
    // This machine reaches the origin from 10.213.4.1, which is not a camera of the fleet.
    const intruder = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=15', '-t', '5', '-c:v', 'libx264', '-f', 'flv', originUrl('intruder')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    intruder.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((r) => intruder.once('close', r));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/error|denied|refused|Broken pipe|I\/O/i);
    expect(await bytesIn('intruder')).toBeUndefined();
  });

  it('a Pi whose link is cut comes back on the origin by itself within 10 s of the link returning', async () => {
    await waitUntil('lab2 on the origin before the cut', () => flowing('lab2'), 10_000);
    await containerLink('lab2', false);
    try {
      // The cut is real: the origin stops receiving lab2 while lab1 and lab3 carry on. (One
      // quarter-second sample that sees no growth can be a busy machine, not a stall: a stream
      // that carries on is waited for, a stalled one is looked at after 8 s of cut link.)
      await waitUntil('lab2 stalled on the origin', async () => !(await flowing('lab2')), 10_000);
      await sleep(8000);
      expect(await flowing('lab2')).toBe(false);
      // The origin's metrics say so (lab2 itself is out of this machine's reach while cut off).
      expect(sample(await metricsOf(origin()), 'camfleet_origin_stream_up{camera="lab2"}')).toBe(0);
      for (const camera of ['lab1', 'lab3']) await waitUntil(`${camera} on the origin while lab2 is cut off`, () => flowing(camera), 5000);
    } finally {
      await containerLink('lab2', true);
    }
    const backMs = await waitUntil('lab2 back on the origin', () => flowing('lab2'), 30_000);
    console.log(`lab2 back on the origin ${(backMs / 1000).toFixed(1)} s after its link returned`);
    expect(backMs).toBeLessThan(10_000);
    const probe = await probeStream(originUrl('lab2'), { seconds: 1, timeoutMs: 15_000 });
    expect(probe.frames).toBeGreaterThanOrEqual(8);
    expect(sample(await metricsOf(origin()), 'camfleet_origin_stream_up{camera="lab2"}')).toBe(1);
    await waitUntil("lab2's relay up in its own metrics", async () => sample(await metricsOf(byName('lab2')), 'camfleet_relay_up') === 1, 10_000);
  });

  it('the fleet wall on the origin plays all three cameras in Chromium, with their names and state', async () => {
    const page = await openPhonePage(browser, `http://${origin().address}/`);
    expect(await page.title()).toBe('lab4 · camfleet wall');
    expect(await page.locator('figcaption a').allTextContents()).toEqual(cameraNames);
    const frames = await tileFrames(page);
    console.log(`wall frames in 3 s: ${JSON.stringify(frames)}`);
    for (const camera of cameraNames) expectMostFramesShown(frames[camera]!, 15, camera);
    expect(await page.evaluate('window.camfleetWall')).toEqual({ lab1: 'live', lab2: 'live', lab3: 'live' });
    expect(await page.locator('#summary').textContent()).toBe('3 of 3 live');
    // The wall plays each camera's HLS from the origin: one HLS viewer of each (this browser), in the origin's metrics.
    const hls = await metricsOf(origin());
    for (const camera of cameraNames) expect([camera, sample(hls, `camfleet_origin_viewers{camera="${camera}",path="hls"}`)]).toEqual([camera, 1]);
    // Kept outside the repository, for a person to look at.
    const shot = join(mkdtempSync(join(tmpdir(), 'camfleet-wall-')), 'wall.png');
    await page.screenshot({ path: shot });
    console.log(`fleet wall at 390x844: ${shot}`);
    // A camera's own page on the origin plays it from the origin too.
    const cameraPage = await openPhonePage(browser, `http://${origin().address}/lab3/`);
    expect(await cameraPage.title()).toBe('lab3 · camfleet');
    await page.close();
    await cameraPage.close();
  });

  it("without the origin, the wall served on this machine plays each Pi's own HLS; status prints the wall's URL", async () => {
    const inv = await loadInventory(inventory, { only: ['lab1', 'lab2', 'lab3', 'lab4'] });
    const sources = wallSources(inv.hosts, true);
    expect(sources.map((s) => s.base)).toEqual(cameraNames.map((n) => `http://${byName(n).address}/hls/`));
    const { server, url } = await startWallServer(sources, 0);
    try {
      const page = await openPhonePage(browser, url);
      const frames = await tileFrames(page);
      console.log(`local wall (each Pi's own HLS) frames in 3 s: ${JSON.stringify(frames)}`);
      for (const camera of cameraNames) expectMostFramesShown(frames[camera]!, 15, camera);
      await page.close();
    } finally {
      server.close();
    }
    const status = await camfleet(['status', '--inventory', inventory, '--all']);
    expect(status.stdout).toMatch(/^lab4 +- +active .*origin of 3 camera/m);
    for (const camera of cameraNames) expect(status.stdout).toMatch(new RegExp(`^${camera} +lavfi testsrc2 +active +active +LIVE`, 'm'));
    expect(status.stdout).toContain(`fleet wall: http://${origin().address}/`);
    expect(status.code).toBe(0);
  });

  it('a second rollout reports 0 changes everywhere', async () => {
    const again = await provision();
    expect(again.code).toBe(0);
    expect(outcomes(again.stdout)).toEqual(Object.fromEntries(['lab1', 'lab2', 'lab3', 'lab4'].map((h) => [h, { outcome: 'ok', changes: 0 }])));
  });

  describe('external ingests: lab1 copies its stream to a lab RTMPS ingest as well as to the origin', () => {
    const key = 'lab-ingest-key-1';
    const env = { INGEST_KEY: key, WRONG_KEY: 'not-the-key-2', OTHER_KEY: 'another-key-3' };
    let ingest: RtmpsIngest;
    let withIngests = '';
    const lab1 = () => byName('lab1');
    const provisionLab1 = (file: string, ...args: string[]) => camfleet(['provision', '--inventory', file, '--host', 'lab1', '--json', ...args], { env });
    /** Whether the lab ingest is receiving lab1's stream right now: its byte count grows. */
    const receiving = async (): Promise<boolean> => {
      const before = await ingest.bytesIn().catch(() => undefined);
      await sleep(250);
      const after = await ingest.bytesIn().catch(() => undefined);
      return before !== undefined && after !== undefined && after > before;
    };
    const ingestLine = (stdout: string, name: string) => stdout.split('\n').find((l) => l.startsWith(`lab1 -> ${name} `)) ?? '';

    beforeAll(async () => {
      // On lab1's side of its link (10.213.1.1), known to lab1 as ingest.lab, the name its certificate is for.
      const address = lab1().address.replace(/\.2$/, '.1');
      ingest = await startRtmpsIngest({ key, names: ['ingest.lab'], address });
      onHost(lab1(), `echo '${address} ingest.lab' | sudo tee -a /etc/hosts >/dev/null`);
      const caFile = join(mkdtempSync(join(tmpdir(), 'camfleet-ca-')), 'lab-ca.pem');
      writeFileSync(caFile, ingest.caPem);
      withIngests = writeInventory(hosts, (doc) => {
        relay(doc);
        const url = ingest.rtmpsUrl('ingest.lab');
        doc.hosts.lab1 = {
          ...doc.hosts.lab1,
          relay: {
            ingests: {
              youtube: { url, key: { env: 'INGEST_KEY' }, audio: 'silent', caFile },
              wrongkey: { url, key: { env: 'WRONG_KEY' }, caFile },
              othername: { url: ingest.rtmpsUrl(address), key: { env: 'INGEST_KEY' }, caFile },
              // No caFile: verified against the Pi's own CA store, which does not hold the lab CA.
              systemca: { url, key: { env: 'OTHER_KEY' } },
            },
          },
        };
      });
    });
    afterAll(async () => {
      await ingest?.stop();
    });

    it('the ingest receives the stream (H.264 as encoded, plus the silent AAC asked for) while the origin still does, from one encode', async () => {
      const r = await provisionLab1(withIngests);
      expect(r.stderr).not.toMatch(/fail|error/i);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain(key);
      await waitUntil('the ingest receiving lab1', receiving, 40_000);
      const probe = JSON.parse(await probeStreams(ingest.playUrl())) as { streams: { codec_type: string; codec_name: string; width?: number; height?: number }[] };
      expect(probe.streams.map((x) => [x.codec_type, x.codec_name, x.width ?? null, x.height ?? null]).sort()).toEqual([
        ['audio', 'aac', null, null],
        ['video', 'h264', 640, 360],
      ]);
      await waitUntil('lab1 on the origin', () => flowing('lab1'), 10_000);
      // Still one encoder on the Pi: every other ffmpeg (the ingests') copies.
      expect(onHost(lab1(), `pgrep -a -x ffmpeg | grep -c -v -e '-c:v copy'`).trim()).toBe('1');
    });

    it('status says which ingest sends and why each other one does not: a wrong key, a certificate for another name, a CA the Pi does not trust; metrics agree', async () => {
      let status = { stdout: '', stderr: '', code: 0 as number | null };
      await waitUntil('every ingest reported', async () => {
        status = await camfleet(['status', '--inventory', withIngests, '--host', 'lab1'], { env });
        return ['wrongkey', 'othername', 'systemca'].every((n) => /: (retrying|connecting) .*\): \w/.test(ingestLine(status.stdout, n))) && /: connected/.test(ingestLine(status.stdout, 'youtube'));
      }, 40_000);
      console.log(status.stdout);
      expect(status.stdout).toMatch(/^lab1 .* 1\/4 sending /m);
      expect(ingestLine(status.stdout, 'youtube')).toMatch(/: connected \S+, \d+\.\d MB sent$/);
      expect(ingestLine(status.stdout, 'wrongkey')).toMatch(/rejected: the ingest closed the connection at publish: a wrong or expired stream key\?/);
      expect(ingestLine(status.stdout, 'othername')).toMatch(/TLS failure: .*does not match hostname/);
      expect(ingestLine(status.stdout, 'systemca')).toMatch(/TLS failure: .*(verification|not trusted|issuer)/i);
      for (const secret of Object.values(env)) expect(status.stdout + status.stderr).not.toContain(secret);
      const metrics = await metricsOf(lab1());
      expect(promtoolCheckMetrics(metrics)).toEqual({ status: 0, output: '' });
      expect(['youtube', 'wrongkey', 'othername', 'systemca'].map((n) => sample(metrics, `camfleet_ingest_up{ingest="${n}"}`))).toEqual([1, 0, 0, 0]);
      expect(sample(metrics, 'camfleet_ingest_sent_bytes_total{ingest="youtube"}')).toBeGreaterThan(0);
      // Nor in the Pi's journal.
      expect(onHost(lab1(), 'sudo journalctl -u camfleet-ingest --no-pager -o cat')).not.toMatch(new RegExp(`${env.INGEST_KEY}|${env.WRONG_KEY}`));
    });

    it("lab1's link cut and restored: the ingest gets the stream again by itself", async () => {
      await containerLink('lab1', false);
      try {
        await waitUntil('the ingest stalled', async () => !(await receiving()), 10_000);
        await sleep(15_000);
        expect(await receiving()).toBe(false);
      } finally {
        await containerLink('lab1', true);
      }
      const backMs = await waitUntil('the ingest receiving lab1 again', receiving, 60_000);
      console.log(`ingest back ${(backMs / 1000).toFixed(1)} s after lab1's link returned`);
      // A 10 s write timeout ends the stalled run; the pauses between tries are 1, 2, 4 s by then.
      expect(backMs).toBeLessThan(30_000);
      await waitUntil('lab1 back on the origin too', () => flowing('lab1'), 30_000);
    });

    it('the re-run changes nothing', async () => {
      const again = await provisionLab1(withIngests);
      expect(again.code).toBe(0);
      expect(outcomes(again.stdout)).toEqual({ lab1: { outcome: 'ok', changes: 0 } });
    });

    it('removing the ingests removes what they added: the unit, its files, its state; the origin relay carries on', async () => {
      const r = await provisionLab1(inventory);
      expect(r.code).toBe(0);
      expect(outcomes(r.stdout).lab1!.outcome).toBe('changed');
      expect(onHost(lab1(), 'systemctl is-active camfleet-ingest || true').trim()).toBe('inactive');
      expect(onHost(lab1(), 'ls /etc/camfleet/ingests.conf /opt/camfleet/ingest.sh /etc/systemd/system/camfleet-ingest.service /run/camfleet-ingest 2>&1 || true')).not.toMatch(/^\//m);
      expect(onHost(lab1(), 'pgrep -a -x ffmpeg | grep -c ingest.lab || true').trim()).toBe('0');
      await waitUntil('the ingest no longer receiving', async () => (await ingest.bytesIn()) === undefined, 15_000);
      await waitUntil('lab1 on the origin', () => flowing('lab1'), 10_000);
      const status = await camfleet(['status', '--inventory', inventory, '--host', 'lab1']);
      expect(status.stdout).not.toContain('lab1 -> ');
      expect(status.stdout).toMatch(/^lab1 +lavfi testsrc2 +active +active +LIVE/m);
    });
  });
});

/** ffprobe's streams of an RTMP URL on this machine, as JSON. */
function probeStreams(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffprobe', ['-v', 'error', '-rw_timeout', '10000000', '-show_entries', 'stream=codec_type,codec_name,width,height', '-of', 'json', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`ffprobe ${url}: ${err}`))));
  });
}
