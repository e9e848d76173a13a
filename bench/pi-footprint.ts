// Benchmark 12 (issue 30): what camfleet costs a Pi in memory and CPU. One container lab Pi
// provisioned as a camera Pi ships (1280x720 at 30 fps, 2.5 Mbit/s, WebRTC and HLS on), left to
// stream until it settles; then, with no viewer and with three headless chromium viewers on
// WebRTC, every process camfleet runs there (each unit's main process and its descendants) is read
// from /proc on the Pi: PSS from smaps_rollup (shared pages split among the processes that map
// them, so the sum is what they cost together) and CPU over a window. Held against the goal of
// 80 MB in total and against a Pi Zero 2 W's 512 MB.
//
//   sudo npm run bench -- footprint        (this section alone, ~3 min)
//   CAMFLEET_FOOTPRINT_SETTLE=60 ...                             (seconds of streaming first; 30)
//   CAMFLEET_FOOTPRINT_PATHS=hls ...                             (viewer.paths: hls, webrtc, or both)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { countFrames, launchBrowser, openPhonePage } from '../lab/browser.ts';
import { containerUp } from '../lab/container.ts';
import { writeInventory } from '../lab/scratch-inventory.ts';
import { sshArgs } from '../lab/ssh-args.ts';
import type { LabHost } from '../lab/state.ts';
import { buildCli } from '../provision/bundle/build-cli.ts';

/** One group of processes: a unit's node, its ffmpeg, or nginx's master and workers. */
export interface GroupFigures {
  label: string;
  processes: number;
  pssMiB: number;
  /** Private (clean + dirty) memory: what would go away with the processes. */
  ussMiB: number;
  rssMiB: number;
  /** % of one core over the window. */
  cpuPct: number;
}

export interface FootprintPoint {
  viewers: number;
  /** The HLS playlist and fragments in /dev/shm: RAM, but no process's. */
  hlsMiB: number;
  groups: GroupFigures[];
  totalPssMiB: number;
  totalCpuPct: number;
}

export interface PiFootprint {
  /** The viewer page's paths, in order of preference; viewers play the first. */
  paths: ViewerPath[];
  settleSeconds: number;
  windowSeconds: number;
  points: FootprintPoint[];
  /** A bare node on the Pi (empty event loop, the units' flags): one Node runtime's own cost. */
  bareNode: { pssMiB: number; ussMiB: number; flags: string };
}

export const goalMiB = 80;
export const zero2wMiB = 512;
const width = 1280;
const height = 720;
const fps = 30;
const viewerCount = 3;
type ViewerPath = 'webrtc' | 'hls';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const script = readFileSync(fileURLToPath(new URL('./pi-processes.sh', import.meta.url)), 'utf8');

interface Proc {
  unit: string;
  pid: number;
  program: string;
  pssKiB: number;
  ussKiB: number;
  rssKiB: number;
  ticks: number;
  cmd: string;
}

function onPi(pi: LabHost, command: string, input?: string): string {
  return execFileSync('ssh', sshArgs(pi, ['-o', 'BatchMode=yes', command]), { encoding: 'utf8', input });
}

/** Every camfleet process on the Pi now, by pid, and the clock's ticks per second. */
function snapshot(pi: LabHost, env = ''): { procs: Map<number, Proc>; hz: number; hlsKiB: number; at: number } {
  const out = onPi(pi, `sudo env ${env} sh -s`, script);
  const at = performance.now();
  const procs = new Map<number, Proc>();
  let hz = 100;
  let hlsKiB = 0;
  for (const line of out.split('\n')) {
    if (line.startsWith('hz ')) hz = Number(line.slice(3));
    if (line.startsWith('hls ')) hlsKiB = Number(line.slice(4)) || 0;
    const f = line.split('\t');
    if (f.length < 8) continue;
    const [unit, pid, program, pss, uss, rss, ticks, cmd] = f as [string, string, string, string, string, string, string, string];
    procs.set(Number(pid), { unit, pid: Number(pid), program, pssKiB: Number(pss), ussKiB: Number(uss), rssKiB: Number(rss), ticks: Number(ticks), cmd: cmd.trim() });
  }
  return { procs, hz, hlsKiB, at };
}

/** What a process is, as the issue's table names it. */
function labelOf(p: Proc): string | undefined {
  // The streamer's watchdog ping (systemd-notify) lives for milliseconds: not part of its footprint.
  if (p.program === 'systemd-notify') return undefined;
  if (p.unit === 'nginx') return 'nginx (master + workers)';
  if (p.unit === 'camfleet-streamer') return p.program === 'node' ? 'node streamer (camfleet-streamer)' : p.program === 'ffmpeg' ? 'ffmpeg encoding the camera' : `${p.program} (camfleet-streamer)`;
  if (p.unit === 'camfleet-webrtc') return p.program === 'node' ? 'node webrtc (camfleet-webrtc)' : p.program === 'ffmpeg' ? 'ffmpeg copying RTMP to RTP (webrtc)' : `${p.program} (camfleet-webrtc)`;
  return `${p.program} (${p.unit})`;
}

const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;

/**
 * Three snapshots over `windowMs`: each group's memory at its largest of the three, its CPU from
 * the first to the last (processes present in both; one restarted in between is noticed).
 */
async function measure(pi: LabHost, viewers: number, windowMs: number): Promise<FootprintPoint> {
  const first = snapshot(pi);
  await sleep(windowMs / 2);
  const middle = snapshot(pi);
  await sleep(windowMs / 2);
  const last = snapshot(pi);
  const seconds = (last.at - first.at) / 1000;
  const groups = new Map<string, GroupFigures>();
  for (const p of last.procs.values()) {
    const label = labelOf(p);
    if (!label) continue;
    const g = groups.get(label) ?? { label, processes: 0, pssMiB: 0, ussMiB: 0, rssMiB: 0, cpuPct: 0 };
    const before = first.procs.get(p.pid);
    if (!before || before.cmd !== p.cmd) throw new Error(`${label} (pid ${p.pid}) started during the measurement: something restarted`);
    const peak = [first, middle, last].map((s) => s.procs.get(p.pid)).filter((x): x is Proc => !!x).reduce((a, b) => (b.pssKiB > a.pssKiB ? b : a));
    g.processes++;
    g.pssMiB += peak.pssKiB;
    g.ussMiB += peak.ussKiB;
    g.rssMiB += peak.rssKiB;
    g.cpuPct += ((p.ticks - before.ticks) / last.hz / seconds) * 100;
    groups.set(label, g);
  }
  const list = [...groups.values()].map((g) => ({ ...g, pssMiB: mib(g.pssMiB), ussMiB: mib(g.ussMiB), rssMiB: mib(g.rssMiB), cpuPct: Math.round(g.cpuPct * 10) / 10 }));
  const order = ['node streamer', 'ffmpeg encoding', 'node webrtc', 'ffmpeg copying', 'nginx'];
  const rank = (l: string) => { const i = order.findIndex((o) => l.startsWith(o)); return i < 0 ? order.length : i; };
  list.sort((a, b) => rank(a.label) - rank(b.label));
  return {
    viewers,
    hlsMiB: mib(Math.max(first.hlsKiB, middle.hlsKiB, last.hlsKiB)),
    groups: list,
    totalPssMiB: Math.round(list.reduce((s, g) => s + g.pssMiB, 0) * 10) / 10,
    totalCpuPct: Math.round(list.reduce((s, g) => s + g.cpuPct, 0) * 10) / 10,
  };
}

async function whepViewers(pi: LabHost): Promise<{ viewers: number; streamIdleMs: number }> {
  return (await (await fetch(`http://${pi.address}/whep/status`, { signal: AbortSignal.timeout(5000) })).json()) as { viewers: number; streamIdleMs: number };
}

/** Until the streamer says streaming and camfleet-webrtc, when on, receives the stream. */
async function waitForStream(pi: LabHost, paths: ViewerPath[]): Promise<void> {
  for (let i = 0; ; i++) {
    const status = onPi(pi, 'cat /run/camfleet/streamer-status.json 2>/dev/null || true');
    const webrtc = paths.includes('webrtc') ? await whepViewers(pi).catch(() => undefined) : { viewers: 0, streamIdleMs: 0 };
    if (/"state":\s*"streaming"/.test(status) && webrtc && webrtc.streamIdleMs < 2000) return;
    if (i > 60) throw new Error(`the stream did not come up on ${pi.name} (status: ${status.slice(0, 200)})`);
    await sleep(1000);
  }
}

/** viewer.paths from CAMFLEET_FOOTPRINT_PATHS (`hls`, `webrtc`, `webrtc,hls`): the shipped default when unset. */
function pathsFromEnv(): ViewerPath[] {
  const words = (process.env.CAMFLEET_FOOTPRINT_PATHS ?? 'webrtc,hls').split(',').map((w) => w.trim());
  if (!words.length || words.some((w) => w !== 'webrtc' && w !== 'hls')) throw new Error(`CAMFLEET_FOOTPRINT_PATHS: webrtc, hls or both, comma-separated; got ${process.env.CAMFLEET_FOOTPRINT_PATHS}`);
  return words as ViewerPath[];
}

export async function benchPiFootprint(o: { log?: (line: string) => void; settleSeconds?: number; windowSeconds?: number; paths?: ViewerPath[] } = {}): Promise<PiFootprint> {
  const log = o.log ?? (() => {});
  const paths = o.paths ?? pathsFromEnv();
  const settleSeconds = o.settleSeconds ?? (Number(process.env.CAMFLEET_FOOTPRINT_SETTLE) || 30);
  const windowSeconds = o.windowSeconds ?? 10;
  const camfleet = await buildCli();
  const [pi] = (await containerUp({ hosts: 1, layer: 'ready', log })) as [LabHost];
  // The shipped defaults are 720p30 at 2.5 Mbit/s, WebRTC and HLS on; the lab inventory's camera is
  // smaller (a fleet of lab Pis fits on a laptop), so the size is set back here.
  const inventory = writeInventory([pi], (doc) => {
    doc.defaults.camera = { ...(doc.defaults.camera as object), resolution: `${width}x${height}`, fps, bitrate: '2500k' };
    doc.defaults.viewer = { paths };
  });
  log(`provisioning ${pi.name} at ${width}x${height}@${fps}, viewer paths ${paths.join(', ')}`);
  execFileSync(process.execPath, [camfleet, 'provision', '--inventory', inventory, '--host', pi.name], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForStream(pi, paths);
  log(`streaming; settling for ${settleSeconds} s`);
  await sleep(settleSeconds * 1000);

  const points: FootprintPoint[] = [];
  points.push(await measure(pi, 0, windowSeconds * 1000));

  const browser = await launchBrowser();
  const pages: Page[] = [];
  try {
    // One after another, as viewers arrive, each shown its first frames before the next opens.
    for (let i = 0; i < viewerCount; i++) {
      const page = await openPhonePage(browser, `http://${pi.address}/`);
      pages.push(page);
      const played = await countFrames(page, 1000, 30_000);
      if (played.path !== paths[0]) throw new Error(`viewer ${i + 1} played ${played.path || 'nothing'}, not ${paths[0]}`);
    }
    await sleep(5000);
    const counted = paths[0] === 'webrtc' ? (await whepViewers(pi)).viewers : viewerCount;
    if (counted !== viewerCount) throw new Error(`camfleet-webrtc counted ${counted} viewers, not ${viewerCount}`);
    points.push(await measure(pi, viewerCount, windowSeconds * 1000));
    for (const [i, page] of pages.entries()) {
      const r = await countFrames(page, 2000, 10_000);
      if (r.path !== paths[0] || r.frames < 30) throw new Error(`viewer ${i + 1} stopped playing during the measurement (${r.frames} frames in 2 s on ${r.path || 'nothing'})`);
    }
  } finally {
    for (const p of pages) await p.close().catch(() => {});
    await browser.close();
  }

  // The units' own node flags (between the program and its script), for a bare runtime beside them.
  const streamerNode = [...snapshot(pi).procs.values()].find((p) => p.unit === 'camfleet-streamer' && p.program === 'node');
  const words = streamerNode?.cmd.split(' ').slice(1) ?? [];
  const flags = words.slice(0, Math.max(0, words.findIndex((w) => !w.startsWith('-')))).join(' ');
  const bare = [...snapshot(pi, `BARE_NODE=1 BARE_NODE_FLAGS='${flags}'`).procs.values()].find((p) => p.unit === 'bare-node');
  if (!bare) throw new Error('the bare node did not run on the Pi');
  return { paths, settleSeconds, windowSeconds, points, bareNode: { pssMiB: mib(bare.pssKiB), ussMiB: mib(bare.ussKiB), flags: flags || '(none)' } };
}

const pad = (s: string, n: number) => s.padEnd(n);

export function formatPiFootprint(r: PiFootprint, verdict: (ok: boolean) => string): string[] {
  const [idle, watched] = r.points as [FootprintPoint, FootprintPoint | undefined];
  const worst = Math.max(...r.points.map((p) => p.totalPssMiB));
  const name = (path: ViewerPath) => (path === 'webrtc' ? 'WebRTC' : 'HLS');
  const lines = [
    `Pi footprint at 720p30, ${r.paths.map(name).join(' + ')}: ${idle.totalPssMiB} MiB PSS with 0 viewers, ${watched ? `${watched.totalPssMiB} MiB with ${watched.viewers}` : '-'} ` +
      `— goal <= ${goalMiB} MB: ${verdict(worst <= goalMiB)} (${(worst / goalMiB).toFixed(2)}x); ${((worst / zero2wMiB) * 100).toFixed(0)}% of a Pi Zero 2 W's ${zero2wMiB} MB; ` +
      `CPU ${idle.totalCpuPct}% / ${watched?.totalCpuPct ?? '-'}% of one core here`,
    `   (container lab Pi on this x86_64 machine, libx264 where a Pi would use its hardware encoder; after ${r.settleSeconds} s of streaming; ` +
      `PSS the largest of 3 reads over ${r.windowSeconds} s, CPU over them; viewers: headless chromium on ${name(r.paths[0]!)})`,
    `   ${pad('process', 40)} ${pad('0 viewers: PSS (USS)', 24)} CPU    ${pad(`${watched?.viewers ?? '-'} viewers: PSS (USS)`, 24)} CPU`,
  ];
  const labels = [...new Set(r.points.flatMap((p) => p.groups.map((g) => g.label)))];
  const cell = (g: GroupFigures | undefined) => (g ? `${pad(`${g.pssMiB.toFixed(1)} MiB (${g.ussMiB.toFixed(1)})`, 24)} ${pad(`${g.cpuPct.toFixed(1)}%`, 6)}` : pad('-', 31));
  for (const label of labels) {
    const a = idle.groups.find((g) => g.label === label);
    const b = watched?.groups.find((g) => g.label === label);
    const n = Math.max(a?.processes ?? 0, b?.processes ?? 0);
    lines.push(`   ${pad(n > 1 ? `${label}, ${n} processes` : label, 40)} ${cell(a)} ${cell(b)}`);
  }
  lines.push(`   ${pad('total', 40)} ${pad(`${idle.totalPssMiB.toFixed(1)} MiB`, 24)} ${pad(`${idle.totalCpuPct}%`, 6)} ${pad(`${watched?.totalPssMiB.toFixed(1) ?? '-'} MiB`, 24)} ${watched?.totalCpuPct ?? '-'}%`);
  if (r.paths.includes('hls'))
    lines.push(`   beside them, the HLS playlist and fragments in /dev/shm (RAM, counted in no process): ${idle.hlsMiB} MiB with 0 viewers, ${watched?.hlsMiB ?? '-'} MiB with ${watched?.viewers ?? '-'}`);
  lines.push(`   a bare node on the Pi (empty event loop, flags ${r.bareNode.flags}): ${r.bareNode.pssMiB} MiB PSS, ${r.bareNode.ussMiB} MiB of it its own (USS): about what one Node process fewer would save`);
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await benchPiFootprint({ log: (l) => console.error(`  … ${l}`) });
  for (const line of formatPiFootprint(r, (ok) => (ok ? 'meets goal' : 'MISSES goal'))) console.log(line);
  console.log(JSON.stringify(r));
  const { containerDown } = await import('../lab/container.ts');
  await containerDown();
}
