// camfleet-ingest's script as render writes it, run on this machine against real parts: the Pi's
// own nginx-rtmp with a camera-like stream published to it, and a lab RTMPS ingest (nginx-rtmp
// behind nginx's TLS proxy, a certificate from a lab CA for 127.0.0.1, one key admitted, listening
// on 127.0.0.2 too: an address the certificate is not for, with no name resolution needed). Four
// ingests at once: the right one (verified with the lab CA, silent audio added), a wrong key, the
// right key at a name the certificate is not for, and a port nothing listens on. Each must end up
// in its own state, saying why, with no key anywhere in what it writes; the right one must carry
// the stream while the others fail. On a lab Pi under systemd: test/ingest.e2e.test.ts.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIngestState, type IngestState } from '../contract/ingest-status.ts';
import { parseAndResolve } from '../provision/core/inventory/load.ts';
import { paths } from '../provision/core/render/paths.ts';
import { renderHost } from '../provision/core/render/render.ts';
import { startRtmpsIngest, type RtmpsIngest } from '../lab/rtmps-ingest.ts';
import { freePort } from '../lab/processes.ts';
import { bundle, originExporter, templates, viewerAssets } from './support/fleet.ts';
import { startNginxRtmp, type NginxRtmp } from './support/nginx-rtmp.ts';

const ownKey = 'pi-own-key-5ecret';
const goodKey = 'good-key-5ecret';
const wrongKey = 'wrong-key-5ecret';

describe('camfleet-ingest.sh against a real RTMPS ingest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'camfleet-ingest-script-'));
  const runDir = join(dir, 'run');
  const creds = join(dir, 'creds');
  let pi: NginxRtmp;
  let ingest: RtmpsIngest;
  let camera: ChildProcess;
  let script: ChildProcess;
  let journal = '';
  const states = (): Record<string, IngestState> =>
    Object.fromEntries(
      readdirSync(runDir)
        .filter((f) => f.endsWith('.state'))
        .map((f) => parseIngestState(readFileSync(join(runDir, f), 'utf8')))
        .filter((s): s is IngestState => s !== undefined)
        .map((s) => [s.name, s]),
    );
  const waitForState = async (test: (s: Record<string, IngestState>) => boolean, what: string, timeoutMs = 40_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!test(states())) {
      if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms; states: ${JSON.stringify(states(), null, 1)}\njournal:\n${journal}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  beforeAll(async () => {
    pi = await startNginxRtmp();
    ingest = await startRtmpsIngest({ key: goodKey, names: ['127.0.0.1'], address: '127.0.0.2' });
    // The camera: what the streamer publishes on a Pi, H.264 at 15 fps, a keyframe a second.
    camera = spawn('ffmpeg', ['-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '15', '-f', 'flv', pi.url(ownKey)], { stdio: 'ignore' });
    const closed = await freePort();
    const inventory = `hosts:
  pi1:
    address: 10.0.0.1
    relay:
      ingests:
        good: { url: "${ingest.rtmpsUrl('127.0.0.1')}", key: { env: GOOD }, audio: silent, caFile: ca.pem }
        wrongkey: { url: "${ingest.rtmpsUrl('127.0.0.1')}", key: { env: WRONG }, caFile: ca.pem }
        othername: { url: "${ingest.rtmpsUrl('127.0.0.2')}", key: { env: GOOD }, caFile: ca.pem }
        refused: { url: "rtmp://127.0.0.1:${closed}/app", key: { env: GOOD } }
`;
    const [host] = parseAndResolve('inventory.yaml', inventory, dir, { env: { GOOD: goodKey, WRONG: wrongKey }, readSecretFile: (p) => ({ ok: true, value: readFileSync(p.endsWith('ca.pem') ? ingest.caFile : p, 'utf8') }) }).hosts;
    const desired = renderHost(host!, { templates, streamerBundle: bundle, viewerAssets, originExporter });
    const file = (path: string) => desired.files.find((f) => f.path === path)!.content;
    execFileSync('mkdir', ['-p', runDir, creds]);
    writeFileSync(join(dir, 'ingest.sh'), file(paths.ingestScript));
    writeFileSync(join(creds, 'ingests'), file(paths.ingestsConf), { mode: 0o600 });
    writeFileSync(join(creds, 'stream-key'), `# the stream key\n${ownKey}\n`, { mode: 0o600 });
    // As systemd starts it: its runtime directory, its credentials, the source in its environment.
    script = spawn('sh', [join(dir, 'ingest.sh')], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH, RUNTIME_DIRECTORY: runDir, CREDENTIALS_DIRECTORY: creds, CAMFLEET_INGEST_SOURCE: pi.server },
    });
    script.stderr?.setEncoding('utf8').on('data', (s: string) => (journal += s));
  }, 30_000);

  afterAll(async () => {
    // The script, its loops and their ffmpegs, as systemd stops a unit's cgroup.
    if (script?.pid) {
      try {
        process.kill(-script.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    camera?.kill('SIGKILL');
    await ingest?.stop();
    await pi?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the right ingest connects and carries the stream: H.264 as encoded, plus the silent AAC track asked for', async () => {
    const t = performance.now();
    await waitForState((s) => s.good?.state === 'connected' && s.good.bytes > 0, 'good connected');
    console.log(`ingest connected after ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const probe = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-rw_timeout', '10000000', '-show_entries', 'stream=codec_type,codec_name,width,height,sample_rate', '-of', 'json', ingest.playUrl()], { encoding: 'utf8', timeout: 20_000 }),
    ) as { streams: { codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string }[] };
    const byType = Object.fromEntries(probe.streams.map((s) => [s.codec_type, s]));
    expect(byType.video).toMatchObject({ codec_name: 'h264', width: 320, height: 240 });
    expect(byType.audio).toMatchObject({ codec_name: 'aac', sample_rate: '44100' });
    expect(states().good!.target).toBe(ingest.rtmpsUrl('127.0.0.1'));
  });

  it('each failing ingest says why: a rejected key, a certificate for another name, refused', async () => {
    await waitForState((s) => !!s.wrongkey?.error && !!s.othername?.error && !!s.refused?.error, 'three errors');
    const s = states();
    expect(s.wrongkey!.error).toMatch(/^rejected: the ingest closed the connection at publish: a wrong or expired stream key\?/);
    expect(s.othername!.error).toMatch(/^TLS failure: .*does not match hostname 127\.0\.0\.2/);
    expect(s.refused!.error).toMatch(/^refused: .*Connection refused/);
    // The right one is untouched by its neighbours' failures.
    expect(s.good!.state).toBe('connected');
  });

  it('a failing ingest backs off, 1 s, then 2, then 4 ..., instead of hammering the service', async () => {
    // What the script said after each try, in order: the pause before the next one.
    const said = () => [...journal.matchAll(/camfleet-ingest: refused \(.*; starting again in (\d+) s$/gm)].map((m) => Number(m[1]));
    await waitForState(() => said().length >= 3, 'three tries of the refused ingest', 20_000);
    const pauses = said();
    expect(pauses.slice(0, 3)).toEqual([1, 2, 4]);
    for (const [i, p] of pauses.entries()) expect(p).toBe(Math.min(30, 2 ** i));
    expect(states().good!.state).toBe('connected');
  });

  it('when the Pi\'s stream starts again (a new publisher, its timestamps from 0), the ingest gets a fresh run, not a frozen picture', async () => {
    const before = states().good!;
    camera.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    camera = spawn('ffmpeg', ['-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '15', '-f', 'flv', pi.url(ownKey)], { stdio: 'ignore' });
    await waitForState((s) => s.good!.restarts > before.restarts && s.good!.state === 'connected', 'the good ingest connected again');
    expect(states().good!.error).toMatch(/^restarted: the Pi's stream started again/);
    // What the ingest plays now moves on: five video packets, each later than the one before.
    const pts = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-read_intervals', '%+#5', '-of', 'csv=p=0', ingest.playUrl()], { encoding: 'utf8', timeout: 20_000 })
      .trim()
      .split('\n')
      .map(Number);
    expect(pts).toHaveLength(5);
    for (let i = 1; i < pts.length; i++) expect(pts[i]).toBeGreaterThan(pts[i - 1]!);
  });

  it('no key appears in the state files or the journal', () => {
    const written = [journal, ...readdirSync(runDir).filter((f) => f.endsWith('.state')).map((f) => readFileSync(join(runDir, f), 'utf8'))].join('\n');
    expect(journal).toMatch(/camfleet-ingest: refused \(rtmp:\/\/127\.0\.0\.1:\d+\/app\): refused: /);
    for (const key of [ownKey, goodKey, wrongKey]) expect(written).not.toContain(key);
    expect(written).toContain('/***');
  });
});
