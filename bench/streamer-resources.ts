// Benchmark 5: what the streamer costs while it streams — the bundled streamer (as the Pi runs
// it, under node) with a lavfi 720p30 source into nginx-rtmp on loopback, sampled from /proc.
// The supervisor (node) and the encoder (its ffmpeg child) are reported apart: the goal is a
// supervisor whose share is small next to ffmpeg's.
//
//   npx tsx bench/streamer-resources.ts [--seconds 10]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startNginxRtmp } from '../lab/nginx-rtmp.ts';
import { cpuTicks, removeStreamerBundle, rssKiB, startStreamer } from '../lab/streamer-process.ts';
import { ticksPerSecond } from './proc-stat.ts';

export interface StreamerResources {
  /** Peak resident memory of the node process while streaming. */
  streamerRssMiB: number;
  /** CPU of the node process, percent of one core, averaged over the run. */
  streamerCpuPct: number;
  ffmpegRssMiB: number;
  ffmpegCpuPct: number;
  seconds: number;
}

export interface StreamerResourcesOptions {
  seconds?: number;
  log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchStreamerResources(o: StreamerResourcesOptions = {}): Promise<StreamerResources> {
  const seconds = o.seconds ?? 10;
  const log = o.log ?? (() => {});
  const nginx = await startNginxRtmp();
  const streamer = await startStreamer([
    '--device', 'lavfi:testsrc2', '--resolution', '1280x720', '--fps', '30', '--encoder', 'auto',
    '--server', `rtmp://127.0.0.1:${nginx.port}/live`, '--stream-key', 'bench',
  ]);
  try {
    await streamer.waitFor((e) => e.event === 'streaming', 30_000);
    // Past the start-up (encoder probe, x264 init): the steady state is what a Pi lives with.
    await sleep(1000);
    const ffmpeg = streamer.children()[0];
    if (!ffmpeg || !readFileSync(`/proc/${ffmpeg}/cmdline`, 'utf8').startsWith('ffmpeg\0')) throw new Error('the streamer has no ffmpeg child');
    log(`sampling node ${streamer.pid} and ffmpeg ${ffmpeg} for ${seconds} s`);

    const t0 = process.hrtime.bigint();
    const node0 = cpuTicks(streamer.pid);
    const ffmpeg0 = cpuTicks(ffmpeg);
    let nodeRss = 0;
    let ffmpegRss = 0;
    for (let i = 0; i < seconds * 4; i++) {
      await sleep(250);
      nodeRss = Math.max(nodeRss, rssKiB(streamer.pid));
      ffmpegRss = Math.max(ffmpegRss, rssKiB(ffmpeg));
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const pct = (ticks: number): number => (ticks / ticksPerSecond / wall) * 100;
    if (streamer.events.some((e) => e.event === 'ffmpeg-exited')) throw new Error('ffmpeg restarted during the run');
    return {
      streamerRssMiB: nodeRss / 1024,
      streamerCpuPct: pct(cpuTicks(streamer.pid) - node0),
      ffmpegRssMiB: ffmpegRss / 1024,
      ffmpegCpuPct: pct(cpuTicks(ffmpeg) - ffmpeg0),
      seconds: Math.round(wall),
    };
  } finally {
    await streamer.terminate();
    await nginx.stop();
    removeStreamerBundle();
  }
}

export function formatStreamerResources(r: StreamerResources): string {
  return (
    `streamer while streaming 1280x720@30 for ${r.seconds} s: node ${r.streamerRssMiB.toFixed(0)} MiB RSS, ${r.streamerCpuPct.toFixed(1)}% CPU; ` +
    `ffmpeg ${r.ffmpegRssMiB.toFixed(0)} MiB RSS, ${r.ffmpegCpuPct.toFixed(0)}% CPU — goal: the supervisor small next to ffmpeg ` +
    `(${r.streamerCpuPct < r.ffmpegCpuPct / 10 ? 'meets goal' : 'MISSES goal'}: node < 1/10 of ffmpeg's CPU)`
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--seconds');
  const seconds = i > 0 ? Number(process.argv[i + 1]) : undefined;
  console.log(formatStreamerResources(await benchStreamerResources({ seconds, log: (l) => console.error(`  … ${l}`) })));
}
