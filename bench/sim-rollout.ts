// Benchmark 6: no-op rollouts of 1, 50, 500 and 1,000 simulated Pis (lab/sim: loopback SSH
// servers replaying a converged lab Pi's answer, in a process of their own), so that what grows
// with the fleet is camfleet's own cost. Per size: wall time, camfleet's CPU and peak memory
// (measured inside the camfleet process by bench/usage-probe.mjs), and the harness's CPU.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSimFleet } from '../lab/sim/harness.ts';
import { openFileLimit, withOpenFiles } from '../lab/sim/limits.ts';
import { buildCli } from '../provision/bundle/build-cli.ts';
import { procStat } from './proc-stat.ts';

/** pyinfra's published no-op figures (seconds), for the sizes it measured. */
export const pyinfraSeconds: Record<number, number> = { 1: 1.27, 50: 3.7, 500: 31 };
export const goals = { ms500: 10_000, ms1000: 20_000, peakMiB1000: 512 };

export interface SimRolloutPoint {
  hosts: number;
  ms: number;
  cpuMs: number;
  peakMiB: number;
  harnessCpuMs: number;
  /** From one more run with --report: the JSON report's bytes per host, and the most files camfleet held open. */
  reportBytesPerHost?: number;
  maxOpenFiles?: number;
}

export interface SimRolloutBench {
  parallel: number;
  runs: number;
  points: SimRolloutPoint[];
  /** The open-file limit camfleet and the harness ran with, when it had to be raised for them. */
  raisedOpenFiles?: { from: number; to: number };
  /** Share of this machine's CPU that other work took during the runs (the lab is shared). */
  busyShare: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** User + system CPU of a process so far, from /proc. */
const processCpuMs = (pid: number): number => procStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).cpuMs;

/** The whole machine's busy and total CPU ticks so far. */
function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  return { busy: total - cpu[3]! - cpu[4]!, total };
}

export async function benchSimRollout(o: { sizes?: number[]; runs?: number; parallel?: number; log?: (l: string) => void } = {}): Promise<SimRolloutBench> {
  const sizes = o.sizes ?? [1, 50, 500, 1000];
  const runs = o.runs ?? 3;
  const parallel = o.parallel ?? 250;
  const camfleet = await buildCli();
  const largest = Math.max(...sizes);
  o.log?.(`starting ${largest} simulated Pis`);
  const fleet = await spawnSimFleet(largest);
  const scratch = mkdtempSync(join(tmpdir(), 'camfleet-bench-sim-'));
  // camfleet holds a socket per host in flight (and its own few files).
  const camfleetFiles = 2 * parallel + 256;
  const ownLimit = openFileLimit();
  const raisedOpenFiles = Math.max(camfleetFiles, fleet.openFileLimit) > ownLimit ? { from: ownLimit, to: Math.max(camfleetFiles, fleet.openFileLimit) } : undefined;
  const byN = new Map<number, SimRolloutPoint[]>(sizes.map((n) => [n, []]));
  let busyCamfleet = 0;
  const machineStart = machineTicks();
  try {
    const inventories = new Map<number, string>();
    for (const n of sizes) inventories.set(n, await fleet.inventory(n));
    for (let r = 0; r < runs; r++) {
      for (const n of sizes) {
        const usageFile = join(scratch, `usage-${n}-${r}.json`);
        const answered = (await fleet.stats()).answered;
        const harnessBefore = processCpuMs(fleet.pid);
        const args = ['--import', pathToFileURL(join(import.meta.dirname, 'usage-probe.mjs')).href, camfleet, 'provision', '--inventory', inventories.get(n)!, '--all', '--parallel', String(parallel)];
        const start = performance.now();
        const out = await runQuietly('sh', withOpenFiles(camfleetFiles, process.execPath, args), { ...process.env, CAMFLEET_BENCH_USAGE: usageFile });
        const ms = performance.now() - start;
        const harnessCpuMs = processCpuMs(fleet.pid) - harnessBefore;
        const summary = `${n} host(s): ${n} ok`;
        if (out.code !== 0 || !out.stdout.includes(summary))
          throw new Error(`the no-op rollout of ${n} simulated Pis did not end in '${summary}' (exit ${out.code}): ${(out.stdout + out.stderr).slice(-600)}`);
        if ((await fleet.stats()).answered - answered !== n) throw new Error(`the harness answered other than ${n} observe scripts`);
        const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as { userMs: number; systemMs: number; maxRssKiB: number };
        const cpuMs = usage.userMs + usage.systemMs;
        busyCamfleet += cpuMs + harnessCpuMs;
        byN.get(n)!.push({ hosts: n, ms, cpuMs, peakMiB: usage.maxRssKiB / 1024, harnessCpuMs });
        o.log?.(`${n} hosts: ${(ms / 1000).toFixed(2)} s, camfleet CPU ${(cpuMs / 1000).toFixed(2)} s, ${(usage.maxRssKiB / 1024).toFixed(0)} MiB`);
      }
    }
    // What could grow faster than the fleet: the JSON report, and open files (sockets).
    for (const n of sizes) {
      const report = join(scratch, `report-${n}.json`);
      const args = [camfleet, 'provision', '--inventory', inventories.get(n)!, '--all', '--parallel', String(parallel), '--report', report];
      const child = spawn('sh', withOpenFiles(camfleetFiles, process.execPath, args), { stdio: 'ignore' });
      let maxOpenFiles = 0;
      const sample = setInterval(() => {
        try {
          maxOpenFiles = Math.max(maxOpenFiles, readdirSync(`/proc/${child.pid}/fd`).length);
        } catch {
          // between the shell's exec and the exit, or gone
        }
      }, 10);
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      clearInterval(sample);
      if (code !== 0) throw new Error(`the reported no-op rollout of ${n} simulated Pis exited ${code}`);
      const p = byN.get(n)!;
      for (const x of p) Object.assign(x, { reportBytesPerHost: statSync(report).size / n, maxOpenFiles });
    }
  } finally {
    await fleet.stop();
  }
  const machineEnd = machineTicks();
  // Ticks are 10 ms each: what the machine was busy with besides camfleet and the harness.
  const busyOther = Math.max(0, (machineEnd.busy - machineStart.busy) * 10 - busyCamfleet);
  const points = sizes.map((n) => {
    const xs = byN.get(n)!;
    return {
      hosts: n,
      ms: median(xs.map((x) => x.ms)),
      cpuMs: median(xs.map((x) => x.cpuMs)),
      peakMiB: Math.max(...xs.map((x) => x.peakMiB)),
      harnessCpuMs: median(xs.map((x) => x.harnessCpuMs)),
      reportBytesPerHost: xs[0]?.reportBytesPerHost,
      maxOpenFiles: xs[0]?.maxOpenFiles,
    };
  });
  writeFileSync(join(scratch, 'points.json'), JSON.stringify(points));
  return { parallel, runs, points, raisedOpenFiles, busyShare: busyOther / Math.max(1, (machineEnd.total - machineStart.total) * 10) };
}

function runQuietly(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The bench's lines: a table of every size, then one line with each goal and its ratio. */
export function formatSimRollout(r: SimRolloutBench): { table: string[]; verdict: string } {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const at = (n: number) => r.points.find((p) => p.hosts === n);
  const table = [
    `   hosts        wall   camfleet CPU   peak memory   harness CPU   pyinfra (published)`,
    ...r.points.map(
      (p) =>
        `   ${String(p.hosts).padStart(5)}  ${s(p.ms).padStart(10)}  ${s(p.cpuMs).padStart(13)}  ${`${p.peakMiB.toFixed(0)} MiB`.padStart(12)}  ${s(p.harnessCpuMs).padStart(12)}   ` +
        (pyinfraSeconds[p.hosts] !== undefined ? `${pyinfraSeconds[p.hosts]} s (camfleet ${(p.ms / 1000 / pyinfraSeconds[p.hosts]!).toFixed(2)}x)` : '-'),
    ),
    `   (--parallel ${r.parallel}, bundled CLI, median of ${r.runs}; peak memory is the largest of the runs; the harness shares this machine's 2 cores;` +
      ` other work kept ${(r.busyShare * 100).toFixed(0)}% of the CPU busy meanwhile${r.raisedOpenFiles ? `; ulimit -n raised from ${r.raisedOpenFiles.from} to ${r.raisedOpenFiles.to} for camfleet and the harness` : ''})`,
    `   growth per host count (${r.points.map((p) => p.hosts).join('/')}): JSON report ${r.points.map((p) => (p.reportBytesPerHost ?? 0).toFixed(0)).join('/')} bytes per host; ` +
      `files camfleet held open at most ${r.points.map((p) => p.maxOpenFiles ?? '-').join('/')} (bounded by --parallel, not the fleet)`,
  ];
  const verdict = (ok: boolean) => (ok ? 'meets goal' : 'MISSES goal');
  const parts: string[] = [];
  const p500 = at(500);
  const p1000 = at(1000);
  if (p500) parts.push(`500 hosts ${s(p500.ms)} — goal <= 10 s: ${(p500.ms / goals.ms500).toFixed(2)}x, ${verdict(p500.ms <= goals.ms500)}`);
  if (p1000) {
    parts.push(`1,000 hosts ${s(p1000.ms)} — goal <= 20 s: ${(p1000.ms / goals.ms1000).toFixed(2)}x, ${verdict(p1000.ms <= goals.ms1000)}`);
    parts.push(`peak memory at 1,000 ${p1000.peakMiB.toFixed(0)} MiB — goal <= 512 MiB: ${(p1000.peakMiB / goals.peakMiB1000).toFixed(2)}x, ${verdict(p1000.peakMiB <= goals.peakMiB1000)}`);
  }
  if (p500 && p1000) parts.push(`camfleet CPU per host ${((p1000.cpuMs - p500.cpuMs) / 500).toFixed(1)} ms from 500 to 1,000 (${((p500.cpuMs - (at(1)?.cpuMs ?? 0)) / 499).toFixed(1)} ms from 1 to 500)`);
  return { table, verdict: `6. no-op rollout of simulated Pis: ${parts.join('; ')}` };
}
