// Benchmark 12 (issue 30): what camfleet costs a Pi in memory and CPU. One container lab Pi
// provisioned as a camera Pi ships (1280x720 at 30 fps, 2.5 Mbit/s, WebRTC and HLS on), left to
// stream until it settles; then, with no viewer and with three headless chromium viewers on
// WebRTC, every process camfleet runs there (each unit's main process and its descendants) is read
// from /proc on the Pi: PSS from smaps_rollup (shared pages split among the processes that map
// them, so the sum is what they cost together) and CPU over a window. Held against the goal of
// 80 MB in total and against a Pi Zero 2 W's 512 MB.
//
// The same again on the arm64 lab Pi (Debian arm64 under qemu-user-static), where the processes are
// the Pi's own arm64 builds: RSS and PSS under emulation, at 720p but 5 fps (what emulated libx264
// and the test pattern keep up with here) and HLS only (camfleet-webrtc cannot start under qemu-user:
// lab/arm64.ts). What emulation distorts is printed with the figures (emulationCaveats).
//
//   sudo npm run bench -- footprint        (this section and its arm64 run, ~3 + ~20 min)
//   CAMFLEET_FOOTPRINT_LAB=arm64 sudo npx tsx bench/pi-footprint.ts      (the arm64 run alone)
//   CAMFLEET_FOOTPRINT_SETTLE=60 ...                             (seconds of streaming first; 30)
//   CAMFLEET_FOOTPRINT_PATHS=hls ...                             (viewer.paths: hls, webrtc, or both)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { arm64Down, arm64Kind } from '../lab/arm64.ts';
import { countFrames, launchBrowser, openPhonePage } from '../lab/browser.ts';
import { containerDown, containerUp } from '../lab/container.ts';
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
  totalRssMiB: number;
  totalCpuPct: number;
}

export interface PiFootprint {
  /** The container lab Pi (x86_64, native) or the arm64 one (emulated). */
  lab: FootprintLab;
  fps: number;
  /** The viewer page's paths, in order of preference; viewers play the first. */
  paths: ViewerPath[];
  settleSeconds: number;
  windowSeconds: number;
  points: FootprintPoint[];
  /** A bare node on the Pi (empty event loop, the units' flags): one Node runtime's own cost. */
  bareNode: { pssMiB: number; ussMiB: number; rssMiB: number; flags: string };
}

export const goalMiB = 80;
export const zero2wMiB = 512;
const width = 1280;
const height = 720;
const viewerCount = 3;
type ViewerPath = 'webrtc' | 'hls';
export type FootprintLab = 'container' | 'arm64';

/** What differs between the two lab Pis the footprint is measured on. */
const labs = {
  container: { kind: undefined, fps: 30, streamTimeoutS: 60, bareNodeSeconds: 3 },
  // Emulated: everything starts slower, and 720p at 30 fps is beyond emulated libx264 here.
  arm64: { kind: arm64Kind, fps: 5, streamTimeoutS: 300, bareNodeSeconds: 15 },
} as const;

/** What RSS and PSS under qemu-user say and do not say about a Pi: printed beside the arm64 figures. */
export const emulationCaveats = [
  "each process is qemu-aarch64 running the Pi's arm64 program: its memory holds qemu's own heap and the code qemu translated (its TCG buffer), which a Pi has not, so RSS and PSS are above a Pi's",
  "the program's own pages (its heap, the arm64 libraries, shared between processes as on a Pi) are as a Pi maps them; qemu's binary is one file shared by all the processes",
  "the CPU figures are emulation's (many times a Pi's for the same work) and the kernel is this machine's x86_64 one, not Raspberry Pi OS's",
];
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
  if (p.unit === 'camfleet-webrtc') return p.program === 'node' ? 'node webrtc (camfleet-webrtc)' : `${p.program} (camfleet-webrtc)`;
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
  const order = ['node streamer', 'ffmpeg encoding', 'node webrtc', 'nginx'];
  const rank = (l: string) => { const i = order.findIndex((o) => l.startsWith(o)); return i < 0 ? order.length : i; };
  list.sort((a, b) => rank(a.label) - rank(b.label));
  return {
    viewers,
    hlsMiB: mib(Math.max(first.hlsKiB, middle.hlsKiB, last.hlsKiB)),
    groups: list,
    totalPssMiB: Math.round(list.reduce((s, g) => s + g.pssMiB, 0) * 10) / 10,
    totalRssMiB: Math.round(list.reduce((s, g) => s + g.rssMiB, 0) * 10) / 10,
    totalCpuPct: Math.round(list.reduce((s, g) => s + g.cpuPct, 0) * 10) / 10,
  };
}

async function whepViewers(pi: LabHost): Promise<{ viewers: number; streamIdleMs: number }> {
  return (await (await fetch(`http://${pi.address}/whep/status`, { signal: AbortSignal.timeout(5000) })).json()) as { viewers: number; streamIdleMs: number };
}

/** Until the streamer says streaming and camfleet-webrtc, when on, receives the stream. */
async function waitForStream(pi: LabHost, paths: ViewerPath[], timeoutS: number): Promise<void> {
  for (let i = 0; ; i++) {
    const status = onPi(pi, 'cat /run/camfleet/streamer-status.json 2>/dev/null || true');
    const webrtc = paths.includes('webrtc') ? await whepViewers(pi).catch(() => undefined) : { viewers: 0, streamIdleMs: 0 };
    if (/"state":\s*"streaming"/.test(status) && webrtc && webrtc.streamIdleMs < 2000) return;
    if (i > timeoutS) throw new Error(`the stream did not come up on ${pi.name} (status: ${status.slice(0, 200)})`);
    await sleep(1000);
  }
}

/** The lab Pi from CAMFLEET_FOOTPRINT_LAB (`container`, `arm64`): the container lab Pi when unset. */
function labFromEnv(): FootprintLab {
  const lab = process.env.CAMFLEET_FOOTPRINT_LAB ?? 'container';
  if (lab !== 'container' && lab !== 'arm64') throw new Error(`CAMFLEET_FOOTPRINT_LAB: container or arm64; got ${lab}`);
  return lab;
}

/** viewer.paths from CAMFLEET_FOOTPRINT_PATHS (`hls`, `webrtc`, `webrtc,hls`): the shipped default when unset. */
function pathsFromEnv(): ViewerPath[] {
  const words = (process.env.CAMFLEET_FOOTPRINT_PATHS ?? 'webrtc,hls').split(',').map((w) => w.trim());
  if (!words.length || words.some((w) => w !== 'webrtc' && w !== 'hls')) throw new Error(`CAMFLEET_FOOTPRINT_PATHS: webrtc, hls or both, comma-separated; got ${process.env.CAMFLEET_FOOTPRINT_PATHS}`);
  return words as ViewerPath[];
}

export async function benchPiFootprint(
  o: { log?: (line: string) => void; settleSeconds?: number; windowSeconds?: number; paths?: ViewerPath[]; lab?: FootprintLab } = {},
): Promise<PiFootprint> {
  const log = o.log ?? (() => {});
  const lab = o.lab ?? labFromEnv();
  const { kind, fps, streamTimeoutS, bareNodeSeconds } = labs[lab];
  const paths = lab === 'arm64' ? (['hls'] as ViewerPath[]) : (o.paths ?? pathsFromEnv());
  const settleSeconds = o.settleSeconds ?? (Number(process.env.CAMFLEET_FOOTPRINT_SETTLE) || 30);
  const windowSeconds = o.windowSeconds ?? 10;
  const camfleet = await buildCli();
  // The ready layer has camfleet's packages installed: the arm64 lab Pi would take ~10 min for them.
  const [pi] = (await containerUp({ hosts: 1, layer: 'ready', log, kind })) as [LabHost];
  // The shipped defaults are 720p30 at 2.5 Mbit/s, WebRTC and HLS on; the lab inventory's camera is
  // smaller (a fleet of lab Pis fits on a laptop), so the size is set back here, where the lab sets it
  // (the defaults, and the arm64 lab Pi's own entry).
  const inventory = writeInventory([pi], (doc) => {
    for (const entry of [doc.defaults, doc.hosts[pi.name]]) {
      if (!entry || (entry !== doc.defaults && !entry.camera)) continue;
      entry.camera = { ...(entry.camera as object), resolution: `${width}x${height}`, fps, bitrate: '2500k' };
      entry.viewer = { paths };
    }
  });
  log(`provisioning ${pi.name} at ${width}x${height}@${fps}, viewer paths ${paths.join(', ')}`);
  // The health gate gives the stream as long to come up as this bench waits for it: an emulated Pi
  // starts its streamer slower than the default 30 s allows on a busy machine.
  const provision = [camfleet, 'provision', '--inventory', inventory, '--host', pi.name, '--health-startup', String(streamTimeoutS)];
  execFileSync(process.execPath, provision, { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForStream(pi, paths, streamTimeoutS);
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
      if (r.path !== paths[0] || r.frames < fps) throw new Error(`viewer ${i + 1} stopped playing during the measurement (${r.frames} frames in 2 s on ${r.path || 'nothing'})`);
    }
  } finally {
    for (const p of pages) await p.close().catch(() => {});
    await browser.close();
  }

  // The units' own node flags (between the program and its script), for a bare runtime beside them.
  const streamerNode = [...snapshot(pi).procs.values()].find((p) => p.unit === 'camfleet-streamer' && p.program === 'node');
  const words = streamerNode?.cmd.split(' ').slice(1) ?? [];
  const flags = words.slice(0, Math.max(0, words.findIndex((w) => !w.startsWith('-')))).join(' ');
  const bare = [...snapshot(pi, `BARE_NODE=1 BARE_NODE_SECONDS=${bareNodeSeconds} BARE_NODE_FLAGS='${flags}'`).procs.values()].find((p) => p.unit === 'bare-node');
  if (!bare) throw new Error('the bare node did not run on the Pi');
  return {
    lab, fps, paths, settleSeconds, windowSeconds, points,
    bareNode: { pssMiB: mib(bare.pssKiB), ussMiB: mib(bare.ussKiB), rssMiB: mib(bare.rssKiB), flags: flags || '(none)' },
  };
}

/** Stop the lab Pi the footprint was measured on. */
export async function footprintLabDown(lab: FootprintLab): Promise<void> {
  await (lab === 'arm64' ? arm64Down() : containerDown());
}

const pad = (s: string, n: number) => s.padEnd(n);

export function formatPiFootprint(r: PiFootprint, verdict: (ok: boolean) => string): string[] {
  const [idle, watched] = r.points as [FootprintPoint, FootprintPoint | undefined];
  const emulated = r.lab === 'arm64';
  const worst = Math.max(...r.points.map((p) => p.totalPssMiB));
  const name = (path: ViewerPath) => (path === 'webrtc' ? 'WebRTC' : 'HLS');
  const against = `${((worst / zero2wMiB) * 100).toFixed(0)}% of a Pi Zero 2 W's ${zero2wMiB} MB`;
  const cpu = `CPU ${idle.totalCpuPct}% / ${watched?.totalCpuPct ?? '-'}% of one core here`;
  const lines = emulated
    ? [
        // Emulation inflates every figure (emulationCaveats): a record beside the native run, not a verdict.
        `Pi footprint on the arm64 lab Pi (emulated), 720p${r.fps}, ${r.paths.map(name).join(' + ')}: ${idle.totalRssMiB} MiB RSS (${idle.totalPssMiB} PSS) with 0 viewers, ` +
          `${watched ? `${watched.totalRssMiB} MiB (${watched.totalPssMiB}) with ${watched.viewers}` : '-'} — a record, not the goal's measure (${(worst / goalMiB).toFixed(2)}x its ${goalMiB} MB in PSS); ${against}; ${cpu}`,
        `   (Debian arm64 under qemu-user-static; libx264, no hardware encoder; ${r.fps} fps, what emulation keeps up with; after ${r.settleSeconds} s of streaming; ` +
          `memory the largest of 3 reads over ${r.windowSeconds} s; viewers: headless chromium on ${name(r.paths[0]!)})`,
        ...emulationCaveats.map((c) => `   emulation: ${c}`),
      ]
    : [
        `Pi footprint at 720p${r.fps}, ${r.paths.map(name).join(' + ')}: ${idle.totalPssMiB} MiB PSS with 0 viewers, ${watched ? `${watched.totalPssMiB} MiB with ${watched.viewers}` : '-'} ` +
          `— goal <= ${goalMiB} MB: ${verdict(worst <= goalMiB)} (${(worst / goalMiB).toFixed(2)}x); ${against}; ${cpu}`,
        `   (container lab Pi on this x86_64 machine, libx264 where a Pi would use its hardware encoder; after ${r.settleSeconds} s of streaming; ` +
          `PSS the largest of 3 reads over ${r.windowSeconds} s, CPU over them; viewers: headless chromium on ${name(r.paths[0]!)})`,
      ];
  const heading = emulated ? 'RSS (PSS)' : 'PSS (USS)';
  lines.push(`   ${pad('process', 40)} ${pad(`0 viewers: ${heading}`, 24)} CPU    ${pad(`${watched?.viewers ?? '-'} viewers: ${heading}`, 24)} CPU`);
  const labels = [...new Set(r.points.flatMap((p) => p.groups.map((g) => g.label)))];
  const memory = (g: GroupFigures) => (emulated ? `${g.rssMiB.toFixed(1)} MiB (${g.pssMiB.toFixed(1)})` : `${g.pssMiB.toFixed(1)} MiB (${g.ussMiB.toFixed(1)})`);
  const cell = (g: GroupFigures | undefined) => (g ? `${pad(memory(g), 24)} ${pad(`${g.cpuPct.toFixed(1)}%`, 6)}` : pad('-', 31));
  for (const label of labels) {
    const a = idle.groups.find((g) => g.label === label);
    const b = watched?.groups.find((g) => g.label === label);
    const n = Math.max(a?.processes ?? 0, b?.processes ?? 0);
    lines.push(`   ${pad(n > 1 ? `${label}, ${n} processes` : label, 40)} ${cell(a)} ${cell(b)}`);
  }
  const total = (p: FootprintPoint) => (emulated ? `${p.totalRssMiB.toFixed(1)} MiB (${p.totalPssMiB.toFixed(1)})` : `${p.totalPssMiB.toFixed(1)} MiB`);
  lines.push(`   ${pad('total', 40)} ${pad(total(idle), 24)} ${pad(`${idle.totalCpuPct}%`, 6)} ${pad(watched ? total(watched) : '-', 24)} ${watched?.totalCpuPct ?? '-'}%`);
  if (r.paths.includes('hls'))
    lines.push(`   beside them, the HLS playlist and fragments in /dev/shm (RAM, counted in no process): ${idle.hlsMiB} MiB with 0 viewers, ${watched?.hlsMiB ?? '-'} MiB with ${watched?.viewers ?? '-'}`);
  const bare = emulated ? `${r.bareNode.rssMiB} MiB RSS, ${r.bareNode.pssMiB} MiB PSS` : `${r.bareNode.pssMiB} MiB PSS, ${r.bareNode.ussMiB} MiB of it its own (USS)`;
  lines.push(`   a bare node on the Pi (empty event loop, flags ${r.bareNode.flags}): ${bare}: about what one Node process fewer would save`);
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const lab = labFromEnv();
  try {
    const r = await benchPiFootprint({ lab, log: (l) => console.error(`  … ${l}`) });
    for (const line of formatPiFootprint(r, (ok) => (ok ? 'meets goal' : 'MISSES goal'))) console.log(line);
    console.log(JSON.stringify(r));
  } finally {
    await footprintLabDown(lab);
  }
}
