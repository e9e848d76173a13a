// Benchmark 11: what an external ingest costs beside streaming, and what its silent audio track
// adds (issue 29: YouTube Live wants audio). camfleet-ingest's script, as render writes it, copies
// the streamer's 720p30 stream from nginx-rtmp on loopback to two lab RTMPS ingests at once (TLS
// and all, lab/rtmps-ingest.ts): one video only, one with silent AAC added. Side by side, in one
// run: each ffmpeg's CPU and PSS, and the script's own CPU (its loops and the commands they run).
//
//   npx tsx bench/ingest.ts [--seconds 30]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNginxRtmp } from '../lab/nginx-rtmp.ts';
import { processMemory, processTree } from '../lab/processes.ts';
import { startRtmpsIngest } from '../lab/rtmps-ingest.ts';
import { removeStreamerBundle, startStreamer } from '../lab/streamer-process.ts';
import { processCpuMs } from './proc-stat.ts';

export interface IngestCost {
  seconds: number;
  /** Percent of one core and PSS (MiB) of the copying ffmpeg, video only and with silent audio. */
  copy: { cpuPct: number; pssMiB: number };
  silent: { cpuPct: number; pssMiB: number };
  /** The script: every sh of it, and the commands they ran and waited for. */
  scriptCpuPct: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const script = fileURLToPath(new URL('../templates/camfleet-ingest.sh.hbs', import.meta.url));

const command = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');

export async function benchIngest(o: { seconds?: number; log?: (line: string) => void } = {}): Promise<IngestCost> {
  const seconds = o.seconds ?? 30;
  const log = o.log ?? (() => {});
  const nginx = await startNginxRtmp();
  const [plain, silent] = [await startRtmpsIngest({ key: 'bench-copy', names: ['127.0.0.1'] }), await startRtmpsIngest({ key: 'bench-silent', names: ['127.0.0.1'] })];
  const streamer = await startStreamer(['--device', 'lavfi:testsrc2', '--resolution', '1280x720', '--fps', '30', '--encoder', 'auto', '--server', nginx.server, '--stream-key', 'bench']);
  const work = mkdtempSync(join(tmpdir(), 'camfleet-ingest-bench-'));
  const [run, creds] = [join(work, 'run'), join(work, 'creds')];
  mkdirSync(run);
  mkdirSync(creds);
  const ca = (pem: string) => Buffer.from(pem).toString('base64');
  // The list as render writes it (formats.ts fieldsFile): name, URL, key, audio, CA.
  writeFileSync(join(creds, 'ingests'), `# Managed by camfleet\ncopy\t${plain.rtmpsUrl('127.0.0.1')}\tbench-copy\tnone\t${ca(plain.caPem)}\nsilent\t${silent.rtmpsUrl('127.0.0.1')}\tbench-silent\tsilent\t${ca(silent.caPem)}\n`);
  writeFileSync(join(creds, 'stream-key'), '# Managed by camfleet\nbench\n');
  const ingest = spawn('sh', [script], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH, RUNTIME_DIRECTORY: run, CREDENTIALS_DIRECTORY: creds, CAMFLEET_INGEST_SOURCE: nginx.server } });
  try {
    await streamer.waitFor((e) => e.event === 'streaming', 30_000);
    const connected = () => ['copy', 'silent'].every((n) => /^state=connected$/m.test(readFileSync(join(run, `${n}.state`), 'utf8')));
    for (let i = 0; i < 60 && !connected(); i++) await sleep(500);
    if (!connected()) throw new Error('the ingests did not connect');
    await sleep(5000); // into the steady state
    const ffmpegOf = (port: number) => processTree(ingest.pid!).find((p) => command(p).startsWith('ffmpeg ') && command(p).includes(`:${port}/`));
    const [copyPid, silentPid] = [ffmpegOf(plain.tlsPort), ffmpegOf(silent.tlsPort)];
    if (!copyPid || !silentPid) throw new Error('an ingest has no ffmpeg');
    const shells = () => processTree(ingest.pid!).filter((p) => p !== copyPid && p !== silentPid && /^(\/bin\/)?sh /.test(command(p)));
    log(`sampling camfleet-ingest (ffmpeg ${copyPid} copy, ${silentPid} with silent audio) for ${seconds} s`);
    const t0 = process.hrtime.bigint();
    const scriptMs = () => shells().reduce((n, p) => n + processCpuMs(p, true), 0);
    const [c0, s0, sh0] = [processCpuMs(copyPid), processCpuMs(silentPid), scriptMs()];
    const pss = { copy: 0, silent: 0 };
    for (let i = 0; i < seconds; i++) {
      await sleep(1000);
      pss.copy = Math.max(pss.copy, processMemory(copyPid));
      pss.silent = Math.max(pss.silent, processMemory(silentPid));
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const pct = (ms: number) => (ms / 1000 / wall) * 100;
    const [c1, s1, sh1] = [processCpuMs(copyPid), processCpuMs(silentPid), scriptMs()];
    return {
      seconds: Math.round(wall),
      copy: { cpuPct: pct(c1 - c0), pssMiB: pss.copy / 1024 },
      silent: { cpuPct: pct(s1 - s0), pssMiB: pss.silent / 1024 },
      scriptCpuPct: pct(sh1 - sh0),
    };
  } finally {
    try {
      process.kill(-ingest.pid!, 'SIGKILL');
    } catch {
      // gone
    }
    await streamer.terminate();
    await Promise.all([nginx.stop(), plain.stop(), silent.stop()]);
    removeStreamerBundle();
    rmSync(work, { recursive: true, force: true });
  }
}

export function formatIngest(r: IngestCost, verdict: (ok: boolean) => string): string[] {
  const audio = r.silent.cpuPct - r.copy.cpuPct;
  return [
    `an external ingest of 1280x720@30 over RTMPS, for ${r.seconds} s: ffmpeg -c:v copy ${r.copy.cpuPct.toFixed(2)}% of a core, ${r.copy.pssMiB.toFixed(1)} MiB PSS; ` +
      `the script ${r.scriptCpuPct.toFixed(2)}% for both — goal <= 3%: ${verdict(r.copy.cpuPct + r.scriptCpuPct / 2 <= 3)}`,
    `   with silent AAC added (YouTube Live): ${r.silent.cpuPct.toFixed(2)}% of a core, ${r.silent.pssMiB.toFixed(1)} MiB PSS: the audio costs ${audio.toFixed(2)}% ` +
      `(${(r.silent.cpuPct / Math.max(r.copy.cpuPct, 0.01)).toFixed(2)}x the copy alone) — goal <= 2% more: ${verdict(audio <= 2)}`,
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--seconds');
  const r = await benchIngest({ seconds: i > 0 ? Number(process.argv[i + 1]) : 30, log: (l) => console.error(`  … ${l}`) });
  for (const line of formatIngest(r, (ok) => (ok ? 'meets goal' : 'MISSES goal'))) console.log(line);
}
