// Benchmark 8: what recording costs beside streaming — the recorder (templates/camfleet-recorder.sh.hbs,
// as the Pi runs it: sh around ffmpeg -c copy) reading the streamer's 720p30 stream back from
// nginx-rtmp on loopback. Its CPU (ffmpeg, the script and every short command it runs), its memory
// (PSS: what issue 30 counts), and the bytes it writes against the bytes of the stream it reads.
//
//   npx tsx bench/recording.ts [--seconds 30]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNginxRtmp } from '../lab/nginx-rtmp.ts';
import { removeStreamerBundle, startStreamer } from '../lab/streamer-process.ts';
import { processMemory, processTree } from '../lab/processes.ts';
import { processCpuMs } from './proc-stat.ts';

export interface RecordingCost {
  seconds: number;
  /** Percent of one core: ffmpeg -c copy, and the script with the commands it ran (reaped children). */
  ffmpegCpuPct: number;
  scriptCpuPct: number;
  ffmpegPssMiB: number;
  scriptPssMiB: number;
  /** The stream's bytes as nginx-rtmp counts them coming in (bytes_in), and the bytes written to segments, per second. */
  streamBytesPerS: number;
  writtenBytesPerS: number;
  /** The segments on disk at the end against the stream read. */
  ratio: number;
  segments: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const script = fileURLToPath(new URL('../templates/camfleet-recorder.sh.hbs', import.meta.url));

const io = (pid: number, key: string): number => Number(new RegExp(`^${key}: (\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
/** The stream's bytes_in so far, from nginx-rtmp's statistics page. */
async function streamBytesIn(statPort: number): Promise<number> {
  const xml = await (await fetch(`http://127.0.0.1:${statPort}/stat`)).text();
  const stream = /<stream>\s*<name>bench<\/name>[\s\S]*?<bytes_in>(\d+)<\/bytes_in>/.exec(xml);
  if (!stream) throw new Error('nginx-rtmp does not list the stream');
  return Number(stream[1]);
}
/** The recorder's ffmpeg: the one ffmpeg below its script (processTree walks the parent pids). */
const ffmpegUnder = (pid: number): number | undefined =>
  processTree(pid).find((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'ffmpeg';
    } catch {
      return false;
    }
  });

export async function benchRecording(o: { seconds?: number; log?: (line: string) => void } = {}): Promise<RecordingCost> {
  const seconds = o.seconds ?? 30;
  const log = o.log ?? (() => {});
  const nginx = await startNginxRtmp();
  const streamer = await startStreamer([
    '--device', 'lavfi:testsrc2', '--resolution', '1280x720', '--fps', '30', '--encoder', 'auto',
    '--server', nginx.server, '--stream-key', 'bench',
  ]);
  const work = mkdtempSync(join(tmpdir(), 'camfleet-rec-bench-'));
  const dir = join(work, 'recordings');
  writeFileSync(join(work, 'key'), '# Managed by camfleet\nbench\n');
  const recorder = spawn('sh', [script], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, TZ: 'UTC', CAMFLEET_RECORDING_PATH: dir, CAMFLEET_RECORDING_SEGMENT: '10', CAMFLEET_RECORDING_KEEP_MINUTES: '10080', CAMFLEET_RECORDING_MIN_FREE_PERCENT: '1', CAMFLEET_RECORDING_SOURCE: nginx.server, CAMFLEET_STREAM_KEY_FILE: join(work, 'key') },
  });
  try {
    await streamer.waitFor((e) => e.event === 'streaming', 30_000);
    await sleep(8000); // past ffmpeg's probing of the stream, into the steady state
    const ffmpeg = ffmpegUnder(recorder.pid!);
    if (!ffmpeg) throw new Error('the recorder has no ffmpeg');
    log(`sampling the recorder (sh ${recorder.pid}, ffmpeg ${ffmpeg}) for ${seconds} s`);
    const t0 = process.hrtime.bigint();
    const [f0, s0, read0, written0] = [processCpuMs(ffmpeg), processCpuMs(recorder.pid!, true), await streamBytesIn(nginx.statPort), io(ffmpeg, 'wchar')];
    let ffmpegPss = 0;
    let scriptPss = 0;
    for (let i = 0; i < seconds; i++) {
      await sleep(1000);
      ffmpegPss = Math.max(ffmpegPss, processMemory(ffmpeg));
      scriptPss = Math.max(scriptPss, processMemory(recorder.pid!));
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const pct = (ms: number) => (ms / 1000 / wall) * 100;
    const [f1, s1, read1, written1] = [processCpuMs(ffmpeg), processCpuMs(recorder.pid!, true), await streamBytesIn(nginx.statPort), io(ffmpeg, 'wchar')];
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    return {
      seconds: Math.round(wall),
      ffmpegCpuPct: pct(f1 - f0),
      scriptCpuPct: pct(s1 - s0),
      ffmpegPssMiB: ffmpegPss / 1024,
      scriptPssMiB: scriptPss / 1024,
      streamBytesPerS: (read1 - read0) / wall,
      writtenBytesPerS: (written1 - written0) / wall,
      ratio: (written1 - written0) / (read1 - read0),
      segments: files.length,
    };
  } finally {
    recorder.kill('SIGTERM');
    await new Promise((r) => recorder.once('exit', r));
    await streamer.terminate();
    await nginx.stop();
    removeStreamerBundle();
    rmSync(work, { recursive: true, force: true });
  }
}

export function formatRecording(r: RecordingCost, verdict: (ok: boolean) => string): string[] {
  const cpu = r.ffmpegCpuPct + r.scriptCpuPct;
  return [
    `recording 1280x720@30 for ${r.seconds} s: ${cpu.toFixed(2)}% of a core (ffmpeg -c copy ${r.ffmpegCpuPct.toFixed(2)}%, ` +
      `the script and its commands ${r.scriptCpuPct.toFixed(2)}%) — goal <= 3%: ${verdict(cpu <= 3)}; ` +
      `memory ffmpeg ${r.ffmpegPssMiB.toFixed(1)} MiB PSS + sh ${r.scriptPssMiB.toFixed(1)} MiB PSS (a record for issue 30)`,
    `   bytes written ${(r.writtenBytesPerS / 1000).toFixed(1)} kB/s against the stream read ${(r.streamBytesPerS / 1000).toFixed(1)} kB/s ` +
      `= ${r.ratio.toFixed(3)}x — goal <= 1.05x: ${verdict(r.ratio <= 1.05)} (MPEG-TS framing; ${r.segments} segments of 10 s)`,
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--seconds');
  const r = await benchRecording({ seconds: i > 0 ? Number(process.argv[i + 1]) : 30, log: (l) => console.error(`  … ${l}`) });
  for (const line of formatRecording(r, (ok) => (ok ? 'meets goal' : 'MISSES goal'))) console.log(line);
}
