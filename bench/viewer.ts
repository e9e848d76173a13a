// Benchmark 7: the viewer page on a lab Pi at 720p30, watched by headless chromium on this machine
// over the lab network. The Pi's stream is the streamer's own encode (its ffmpeg flags: libx264,
// Constrained Baseline, a keyframe a second) with each frame stamped with the wall clock
// (bench/stamp.ts), so the page measures glass-to-glass latency per presented frame, on WebRTC and
// on HLS. Also: time from opening the page to its first frame, camfleet-webrtc's CPU on the Pi per
// extra viewer, and ten viewers at once, each of which must keep playing. The ten watch a 640x360
// stream: chromium here decodes in software, about a fifth of a core per 720p30 page (measured and
// printed beside the figures), and ten of those would need all of this machine's two cores, which
// also run the Pi and its encoder.
//
//   sudo npm run bench -- browser      (this section alone)
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { procStat } from './proc-stat.ts';
import type { Browser, Page } from 'playwright-core';
import { countFrames, launchBrowser, openPhonePage } from '../lab/browser.ts';
import { containerUp } from '../lab/container.ts';
import { writeInventory } from '../lab/scratch-inventory.ts';
import { sshArgs } from '../lab/ssh-args.ts';
import type { LabHost } from '../lab/state.ts';
import { buildCli } from '../provision/bundle/build-cli.ts';
import { q } from '../provision/transport/remote.ts';
import { defaultConfig } from '../streamer/config.ts';
import { ffmpegArgs } from '../streamer/ffmpeg-args.ts';
import { webrtcPorts } from '../provision/core/render/viewer.ts';
import { median, readStampsInPage, stampFilter } from './stamp.ts';

export interface PathFigures {
  /** Median glass-to-glass latency over `samples` presented frames of all opens, ms. */
  latencyMs: number;
  p95Ms: number;
  samples: number;
  /** Each open's own median, ms: an HLS player's delay depends on where its playlist reloads fall. */
  perOpenMs: number[];
  /** Page open (navigation start) to the first presented frame, ms: median and worst of `opens`. */
  firstFrameMs: number;
  firstFrameWorstMs: number;
  opens: number;
}

export interface WebrtcFigures extends PathFigures {
  /** camfleet-webrtc's CPU on the Pi, % of one core, at 720p30. */
  cpuNoViewerPct: number;
  cpuOneViewerPct: number;
  cpuFourViewersPct: number;
  cpuPerExtraViewerPct: number;
  /** This machine's chromium, % of one core per 720p30 WebRTC page (1 page to 4). */
  chromiumPerPagePct: number;
  /** Ten viewers at once, on a 640x360 stream: camfleet-webrtc's own count and CPU, and each page's frames in 3 s (30 fps) and path. */
  ten: { webrtcViewers: number; cpuOneViewerPct: number; cpuTenViewersPct: number; cpuPerExtraViewerPct: number; viewers: { frames: number; path: string }[] };
  /** Where the first viewer's time to its first frame went (ms since navigation start), from the page's own marks. */
  marks: Record<string, number>;
}

/** Each path measured on its own: one that fails says why, and the other is still measured. */
export interface ViewerBench {
  webrtc: WebrtcFigures | { error: string };
  hls: PathFigures | { error: string };
}

const width = 1280;
const height = 720;
const fps = 30;
const bitrate = 2_500_000;
/** Page opens per path for the time to the first frame: one open is one draw of the keyframe lottery. */
const opens = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function onPi(pi: LabHost, command: string): string {
  return execFileSync('ssh', sshArgs(pi, ['-o', 'BatchMode=yes', command]), { encoding: 'utf8' });
}

/**
 * CPU a unit used on the Pi over `ms`, % of one core: its main process and that process's
 * children, from /proc. This
 * machine's cgroups are v1 without CPU accounting for the unit, so /proc is what is there.
 */
async function unitCpuPct(pi: LabHost, unit: string, ms: number): Promise<number> {
  const script = `main=$(systemctl show -p MainPID --value ${q(unit)}); ` +
    `for p in $main $(pgrep -P "$main"); do cat /proc/$p/stat; done | awk -v hz=$(getconf CLK_TCK) '{ s += $14 + $15 } END { print s / hz }'`;
  const seconds = () => Number(onPi(pi, script).trim());
  const a = seconds();
  const t0 = performance.now();
  await sleep(ms);
  const b = seconds();
  return Math.round(((b - a) / ((performance.now() - t0) / 1000)) * 1000) / 10;
}

/** Latencies of every frame the page presents during `ms`, read from the stamp. */
async function latencies(page: Page, ms: number): Promise<number[]> {
  return (await page.evaluate(`(${readStampsInPage})(${JSON.stringify({ ms, waitMs: 20_000 })})`)) as number[];
}

function pathFigures(perOpen: number[][], firsts: number[]): PathFigures {
  const lat = perOpen.flat();
  const sorted = [...lat].sort((a, b) => a - b);
  return {
    latencyMs: median(lat),
    perOpenMs: perOpen.map(median),
    p95Ms: sorted[Math.floor(sorted.length * 0.95)] ?? NaN,
    samples: lat.length,
    firstFrameMs: median(firsts),
    firstFrameWorstMs: Math.max(...firsts),
    opens: firsts.length,
  };
}

/**
 * Open the page `opens` times (each open a fresh page): time to the first frame, then latency over
 * a few seconds once the player has settled. The last page is left open.
 */
async function measurePath(browser: Browser, url: string, expected: 'webrtc' | 'hls', log: (l: string) => void): Promise<{ figures: PathFigures; page: Page; marks: Record<string, number> }> {
  const firsts: number[] = [];
  const perOpen: number[][] = [];
  let marks: Record<string, number> = {};
  let page: Page | undefined;
  for (let i = 0; i < opens; i++) {
    await page?.close();
    page = await openPhonePage(browser, url);
    const played = await countFrames(page, 1000, 30_000);
    if (played.path !== expected) throw new Error(`the page played ${played.path || 'nothing'}, not ${expected}`);
    marks = (await page.evaluate('window.camfleet.marks')) as Record<string, number>;
    firsts.push(marks['first-frame'] ?? NaN);
    // A player settles into its steady delay after the first seconds (hls.js seeks to its live point).
    await sleep(3000);
    const lat = await latencies(page, 4000);
    if (lat.length < 40) throw new Error(`only ${lat.length} frames carried a readable stamp in 4 s on ${expected}`);
    perOpen.push(lat);
  }
  const figures = pathFigures(perOpen, firsts);
  log(`${expected}: latency median ${figures.latencyMs} ms (p95 ${figures.p95Ms}, ${figures.samples} frames; per open ${figures.perOpenMs.join(', ')}); first frame ${firsts.join(', ')} ms; last open's marks ${JSON.stringify(marks)}`);
  return { figures, page: page!, marks };
}

export async function benchViewer(options: { log?: (line: string) => void } = {}): Promise<ViewerBench> {
  const log = options.log ?? (() => {});
  const camfleet = await buildCli();
  const [pi] = (await containerUp({ hosts: 1, layer: 'ready', log })) as [LabHost];
  const inventory = writeInventory([pi], (doc) => {
    doc.defaults.camera = { ...(doc.defaults.camera as object), resolution: `${width}x${height}`, fps, bitrate: `${bitrate / 1000}k` };
  });
  log('provisioning the lab Pi at 720p30 with the viewer on');
  execFileSync(process.execPath, [camfleet, 'provision', '--inventory', inventory, '--host', pi.name], { stdio: ['ignore', 'ignore', 'inherit'] });

  await startStampedPublisher(pi, width, height);

  const browser = await launchBrowser();
  const url = `http://${pi.address}/`;
  const failed = (e: unknown) => ({ error: (e as Error).message.split('\n')[0]! });
  try {
    log('HLS (?hls): one viewer');
    const hls = await measurePath(browser, `${url}?hls`, 'hls', log).then(async (r) => (await r.page.close(), r.figures), failed);
    // Last: it ends on the 640x360 stream.
    const webrtc = await measureWebrtc(pi, browser, url, log).catch(failed);
    return { webrtc, hls };
  } finally {
    await browser.close();
    onPi(pi, 'sudo systemctl stop camfleet-bench-stamped; sudo systemctl start camfleet-streamer');
  }
}

/**
 * The streamer's own command with one filter more, the stamp, at `w`x`h`: it replaces the streamer
 * (same flags, same encoder, same RTMP URL, same RTP to camfleet-webrtc) while the bench runs;
 * progress output dropped.
 */
async function startStampedPublisher(pi: LabHost, w: number, h: number): Promise<void> {
  const args = ffmpegArgs({ ...defaultConfig, device: 'lavfi:testsrc2', width: w, height: h, fps, gop: fps, bitrate, encoder: 'libx264', server: 'rtmp://127.0.0.1:1935/live', streamKey: 'cam', rtpPort: webrtcPorts.rtp }, 'libx264').filter(
    (a, i, all) => !['-progress', '-stats_period', '-nostats'].includes(a) && !['-progress', '-stats_period'].includes(all[i - 1] ?? ''),
  );
  const at = args.indexOf('-map');
  const stamped = [...args.slice(0, at), '-vf', stampFilter(w, fps), ...args.slice(at)];
  onPi(pi, `sudo systemctl stop camfleet-streamer camfleet-bench-stamped 2>/dev/null; sudo systemctl reset-failed camfleet-bench-stamped 2>/dev/null; sudo systemd-run --quiet --unit camfleet-bench-stamped /usr/bin/ffmpeg ${stamped.map(q).join(' ')}`);
  // camfleet-webrtc takes its RTP as a new stream (a new SSRC) at once; nginx-rtmp and the HLS
  // fragments need their first keyframes.
  await sleep(2000);
  if (onPi(pi, 'systemctl is-active camfleet-bench-stamped || true').trim() !== 'active') throw new Error(`the stamped publisher on the Pi did not start at ${w}x${h}`);
}

/**
 * CPU the bench's own chromium used over `ms`, % of one core: every process descended from this
 * one whose program is chromium (not another test's browser), from /proc.
 */
async function chromiumCpuPct(ms: number): Promise<number> {
  const ticks = () => {
    const procs = new Map<number, { ppid: number; cpuMs: number; chromium: boolean }>();
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const { ppid, cpuMs } = procStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
        // /usr/bin/chromium is a wrapper script: the browser's processes run /usr/lib/chromium/chromium,
        // and its children rewrite their command line into one string ("… --type=renderer …").
        const chromium = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/)[0]!.endsWith('/chromium');
        procs.set(Number(pid), { ppid, cpuMs, chromium });
      } catch {
        // A process that ended between the listing and the read.
      }
    }
    const ours = (pid: number): boolean => pid === process.pid || (pid > 1 && ours(procs.get(pid)?.ppid ?? 0));
    let sum = 0;
    for (const [pid, p] of procs) if (p.chromium && ours(pid)) sum += p.cpuMs;
    return sum / 1000;
  };
  const a = ticks();
  const t0 = performance.now();
  await sleep(ms);
  return Math.round(((ticks() - a) / ((performance.now() - t0) / 1000)) * 1000) / 10;
}

/** Open `n` more phone pages one after another, each shown its first frames before the next opens. */
async function openMore(browser: Browser, url: string, pages: Page[], n: number): Promise<void> {
  // One after another, as viewers arrive: pages all starting at once on this 2-core machine
  // (which also runs the Pi and its encoder) starve each other's first frame.
  for (let i = 0; i < n; i++) {
    const p = await openPhonePage(browser, url);
    pages.push(p);
    await countFrames(p, 500, 20_000).catch(() => undefined);
  }
}

const webrtcViewers = async (url: string): Promise<number> =>
  ((await (await fetch(`${url}whep/status`, { signal: AbortSignal.timeout(5000) })).json()) as { viewers: number }).viewers;

const perExtra = (many: number, one: number, viewers: number) => Math.round(((many - one) / Math.max(1, viewers - 1)) * 100) / 100;

/**
 * At 720p30: one WebRTC viewer (latency, first frame), then three more: camfleet-webrtc's CPU with
 * 0, 1 and 4, and chromium's per page. Then ten viewers of a 640x360 stream: each must keep playing.
 */
async function measureWebrtc(pi: LabHost, browser: Browser, url: string, log: (l: string) => void): Promise<WebrtcFigures> {
  const pages: Page[] = [];
  const closeAll = async () => {
    for (const p of pages.splice(0)) await p.close().catch(() => {});
  };
  try {
    const cpuNoViewerPct = await unitCpuPct(pi, 'camfleet-webrtc.service', 5000);
    log('WebRTC: one viewer');
    const one = await measurePath(browser, url, 'webrtc', log);
    pages.push(one.page);
    const [cpuOneViewerPct, chromiumOnePct] = await Promise.all([unitCpuPct(pi, 'camfleet-webrtc.service', 10_000), chromiumCpuPct(10_000)]);
    log('WebRTC: three more viewers');
    await openMore(browser, url, pages, 3);
    await sleep(3000);
    const [cpuFourViewersPct, chromiumFourPct] = await Promise.all([unitCpuPct(pi, 'camfleet-webrtc.service', 10_000), chromiumCpuPct(10_000)]);
    const four = await webrtcViewers(url);
    if (four !== 4) throw new Error(`camfleet-webrtc counted ${four} viewers, not 4`);
    await closeAll();

    log('WebRTC: ten viewers of a 640x360 stream');
    await startStampedPublisher(pi, 640, 360);
    await openMore(browser, url, pages, 1);
    await sleep(3000);
    const tenOnePct = await unitCpuPct(pi, 'camfleet-webrtc.service', 10_000);
    await openMore(browser, url, pages, 9);
    await sleep(5000);
    const tenCount = await webrtcViewers(url);
    const tenPct = await unitCpuPct(pi, 'camfleet-webrtc.service', 10_000);
    // Counted one after another: each must still be presenting frames after ten watched together.
    const viewers: WebrtcFigures['ten']['viewers'] = [];
    for (const p of pages) {
      const r = await countFrames(p, 3000, 20_000).catch(() => ({ frames: 0, path: 'none' }));
      viewers.push({ frames: r.frames, path: r.path });
    }
    log(`ten viewers: ${viewers.map((v) => `${v.path} ${v.frames}`).join(', ')} frames in 3 s`);
    return {
      ...one.figures,
      cpuNoViewerPct,
      cpuOneViewerPct,
      cpuFourViewersPct,
      cpuPerExtraViewerPct: perExtra(cpuFourViewersPct, cpuOneViewerPct, four),
      chromiumPerPagePct: Math.round(((chromiumFourPct - chromiumOnePct) / 3) * 10) / 10,
      ten: { webrtcViewers: tenCount, cpuOneViewerPct: tenOnePct, cpuTenViewersPct: tenPct, cpuPerExtraViewerPct: perExtra(tenPct, tenOnePct, tenCount), viewers },
      marks: one.marks,
    };
  } finally {
    await closeAll();
  }
}

/** Keeps playing: frames still shown, at least 5 a second, on WebRTC. */
const minFramesIn3s = 15;
const x = (value: number, goal: number) => `${(value / goal).toFixed(2)}x`;

export function formatViewer(r: ViewerBench, verdict: (ok: boolean) => string): string[] {
  const lines = [`7. browser viewers on a lab Pi, 720p30 (headless chromium over the lab network; latency read from a wall-clock stamp in every presented frame):`];
  const w = r.webrtc;
  const h = r.hls;
  if ('error' in w) lines.push(`   WebRTC: not measured — ${w.error}`);
  else {
    const t = w.ten;
    const allPlay = t.webrtcViewers === 10 && t.viewers.length === 10 && t.viewers.every((v) => v.path === 'webrtc' && v.frames >= minFramesIn3s);
    const m = w.marks;
    lines.push(
      `   WebRTC glass-to-glass median ${w.latencyMs} ms (p95 ${w.p95Ms} ms, ${w.samples} frames of ${w.opens} opens; worst open's median ${Math.max(...w.perOpenMs)} ms) — goal <= 300 ms: ${verdict(w.latencyMs <= 300)} (${x(w.latencyMs, 300)})`,
      `   page open to first frame on WebRTC: median ${w.firstFrameMs} ms, worst ${w.firstFrameWorstMs} ms of ${w.opens} opens — goal <= 1500 ms: ${verdict(w.firstFrameMs <= 1500)} (${x(w.firstFrameMs, 1500)}); ` +
        `one open: script ran at ${m['script']} ms, offer sent ${m['webrtc-offer']}, answered ${m['webrtc-answered']}, connected ${m['webrtc-connected']}, first frame ${m['first-frame']}`,
      `   this machine's chromium (the viewers' side, software decoding): ${w.chromiumPerPagePct}% of a core per 720p30 WebRTC page, so ten such pages would need ${Math.round(w.chromiumPerPagePct * 10)}% of the 200% here: the ten below watch 640x360`,
      `   10 viewers at once of a 640x360p30 stream (${t.webrtcViewers} on WebRTC by camfleet-webrtc's count), frames each presented in 3 s (the Pi sends 90): ${t.viewers.map((v) => (v.path === 'webrtc' ? v.frames : `${v.frames} (${v.path})`)).join(' ')} — ` +
        `goal: each keeps playing on WebRTC (>= ${minFramesIn3s} frames in 3 s): ${verdict(allPlay)}`,
      // The Pi's work per viewer is per packet (encrypt, send), and the packet rate follows the bitrate, the same at either size.
      `   camfleet-webrtc CPU on the Pi per extra WebRTC viewer (${bitrate / 1e6} Mbit/s either size): ${t.cpuOneViewerPct}% of a core with 1, ${t.cpuTenViewersPct}% with ${t.webrtcViewers} = ${t.cpuPerExtraViewerPct}% — ` +
        `goal <= 2%: ${verdict(t.cpuPerExtraViewerPct <= 2)} (${x(t.cpuPerExtraViewerPct, 2)}); at 720p30 ${w.cpuNoViewerPct}% with none, ${w.cpuOneViewerPct}% with 1, ${w.cpuFourViewersPct}% with 4 = ${w.cpuPerExtraViewerPct}%; it takes the streamer's own encode as RTP (no copy, no re-encode)`,
    );
  }
  if ('error' in h) lines.push(`   HLS: not measured — ${h.error}`);
  else
    lines.push(
      `   HLS glass-to-glass median ${(h.latencyMs / 1000).toFixed(2)} s (p95 ${(h.p95Ms / 1000).toFixed(2)} s, ${h.samples} frames of ${h.opens} opens; each open's median ${h.perOpenMs.map((ms) => (ms / 1000).toFixed(2)).join(' ')} s) — goal <= 3 s: ${verdict(h.latencyMs <= 3000)} (${x(h.latencyMs, 3000)}); ` +
        `page open to first frame: median ${h.firstFrameMs} ms, worst ${h.firstFrameWorstMs} ms (no goal)`,
    );
  return lines;
}
