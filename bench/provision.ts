// Benchmarks 2 and 3: a no-op re-provision of one lab Pi against a bare `ssh host true`, and a
// no-op rollout of N lab Pis against one. Each pair is measured side by side in one run, runs
// interleaved so a slow moment of the machine hits both sides alike.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { containerUp, type NspawnKind } from '../lab/container.ts';
import { sshArgs } from '../lab/ssh-args.ts';
import type { LabHost } from '../lab/state.ts';
import { buildCli } from '../provision/bundle/build-cli.ts';
import { writeInventory } from '../lab/scratch-inventory.ts';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Wall time of a command, and the CPU time it used (user + system, children included). */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ms: number; cpuMs: number } {
  // The shell reaps the command, then reports its children's CPU from its own /proc stat
  // (cutime + cstime, in clock ticks of 10 ms).
  const start = performance.now();
  const r = spawnSync('sh', ['-c', '"$@" >/dev/null 2>/tmp/camfleet-bench.err || { cat /tmp/camfleet-bench.err >&2; exit 1; }; cat /proc/$$/stat', 'sh', cmd, ...args], {
    encoding: 'utf8',
    env,
  });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')}... failed: ${r.stderr.slice(-800)}`);
  const fields = r.stdout.slice(r.stdout.lastIndexOf(')') + 2).split(' ');
  const cpuMs = (Number(fields[13]) + Number(fields[14])) * 10; // cutime, cstime: fields 16, 17 of stat
  return { ms, cpuMs };
}

// Fleet benchmarks run many lab Pis at once: a tiny picture keeps the encoders from being the
// thing measured, and browsers get HLS only, so 40 Pis on 2 cores don't also start 40 WebRTC
// services (a Node process each) that nothing watches.
const lightCamera = (doc: { defaults: Record<string, unknown> }) => {
  doc.defaults.camera = { device: 'lavfi:testsrc2', resolution: '160x120', fps: 5, bitrate: '100k', encoder: 'libx264' };
  doc.defaults.viewer = { paths: ['hls'] };
};

/** Share of this machine's CPU time spent idle over the next second. */
async function idleShare(): Promise<number> {
  const sample = () => {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
    return { idle: cpu[3]! + cpu[4]!, total: cpu.reduce((a, b) => a + b, 0) };
  };
  const a = sample();
  await new Promise((r) => setTimeout(r, 1000));
  const b = sample();
  return (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

/**
 * Wait (up to a minute) until the machine is mostly idle: tearing down an earlier lab leaves the
 * kernel busy with namespaces for a while, which would be measured as camfleet's time.
 */
async function settle(log?: (l: string) => void): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const idle = await idleShare();
    if (idle >= 0.85) return;
    if (i === 0) log?.(`waiting for the machine to settle (${(idle * 100).toFixed(0)}% idle)`);
  }
}

export interface NoopBench {
  provisionMs: number;
  /** CPU the camfleet process used (start-up included). */
  provisionCpuMs: number;
  sshTrueMs: number;
  ratio: number;
  runs: number;
  /**
   * The same runs without NODE_EXTRA_CA_CERTS, when this machine sets it: node then reads and
   * parses every certificate in that file before running a line, ~45 ms of each start here,
   * though camfleet makes no TLS connection. An operator's workstation rarely sets it.
   */
  withoutExtraCa?: { provisionMs: number; ratio: number };
  /**
   * The README's command, `npm run provision` (fresh-cli.mjs: checks dist/ is current, then runs
   * it), against `node dist/camfleet.mjs provision`; and npm's own start, `npm run env`, beside it.
   */
  npmRun: { ms: number; ratio: number; npmOwnMs: number; launcherMs: number; launcherRatio: number };
}

/** Converge one lab Pi (of `kind`: container by default), then time no-op runs of the bundled CLI against `ssh host true`. */
export async function benchNoopProvision(o: { runs?: number; log?: (l: string) => void; kind?: NspawnKind } = {}): Promise<NoopBench> {
  const runs = o.runs ?? 9;
  const camfleet = await buildCli();
  const [pi] = (await containerUp({ hosts: 1, layer: 'ready', log: o.log, kind: o.kind })) as [LabHost];
  const inventory = writeInventory([pi], lightCamera);
  const provision = ['provision', '--inventory', inventory, '--host', pi.name];
  execFileSync(process.execPath, [camfleet, ...provision], { stdio: 'ignore' }); // converge first
  await settle(o.log);
  const { NODE_EXTRA_CA_CERTS: extraCa, ...envWithoutExtraCa } = process.env;
  const p: number[] = [];
  const cpu: number[] = [];
  const s: number[] = [];
  const bare: number[] = [];
  const npm: number[] = [];
  const npmOwn: number[] = [];
  const launcher: number[] = [];
  const freshCli = join(dirname(camfleet), '..', 'provision', 'bundle', 'fresh-cli.mjs');
  for (let i = 0; i < runs; i++) {
    const run = timed(process.execPath, [camfleet, ...provision]);
    p.push(run.ms);
    cpu.push(run.cpuMs);
    s.push(timed('ssh', sshArgs(pi, ['true'])).ms);
    if (extraCa) bare.push(timed(process.execPath, [camfleet, ...provision], envWithoutExtraCa).ms);
    npm.push(timed('npm', ['run', '-s', 'provision', '--', ...provision.slice(1)]).ms);
    npmOwn.push(timed('npm', ['run', '-s', 'env']).ms);
    launcher.push(timed(process.execPath, [freshCli, ...provision]).ms);
  }
  const provisionMs = median(p);
  const sshTrueMs = median(s);
  return {
    provisionMs,
    provisionCpuMs: median(cpu),
    sshTrueMs,
    ratio: provisionMs / sshTrueMs,
    runs,
    withoutExtraCa: extraCa ? { provisionMs: median(bare), ratio: median(bare) / sshTrueMs } : undefined,
    npmRun: {
      ms: median(npm),
      ratio: median(npm) / provisionMs,
      npmOwnMs: median(npmOwn),
      launcherMs: median(launcher),
      launcherRatio: median(launcher) / provisionMs,
    },
  };
}

export interface RolloutBench {
  oneMs: number;
  oneCpuMs: number;
  /** One bare `ssh host true`, the floor that N parallel ones are compared with. */
  oneSshMs: number;
  /** Per point: wall time and ratio to one host, and the same for N parallel `ssh host true`. */
  points: { hosts: number; ms: number; ratio: number; cpuMs: number; sshMs: number; sshRatio: number }[];
  /** camfleet's CPU for each host beyond the first, from the largest point. */
  marginalCpuPerHostMs: number;
}

/** Wall time of `ssh host true` to every host at once. */
async function parallelSshTrue(hosts: LabHost[]): Promise<number> {
  const start = performance.now();
  await Promise.all(
    hosts.map(
      (h) =>
        new Promise<void>((resolve, reject) =>
          spawn('ssh', sshArgs(h, ['true']), { stdio: 'ignore' }).on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ssh ${h.name} true: exit ${code}`)))),
        ),
    ),
  );
  return performance.now() - start;
}

/**
 * No-op rollouts of 1 and of each N lab Pis (all converged first), with --parallel N, each next to
 * N parallel `ssh host true`: the lab Pis share this machine's cores, so that is the floor here.
 */
export async function benchNoopRollout(o: { sizes?: number[]; runs?: number; log?: (l: string) => void } = {}): Promise<RolloutBench> {
  const sizes = o.sizes ?? [5, 10, 20, 40];
  const runs = o.runs ?? 3;
  const camfleet = await buildCli();
  const largest = Math.max(...sizes);
  const hosts = await containerUp({ hosts: largest, layer: 'ready', log: o.log });
  const inventory = writeInventory(hosts, lightCamera);
  const rollout = (n: number) => [camfleet, 'provision', '--inventory', inventory, '--limit', hosts.slice(0, n).map((h) => h.name).join(',')];
  o.log?.(`converging ${largest} lab Pis`);
  execFileSync(process.execPath, [...rollout(largest), '--parallel', String(largest)], { stdio: 'ignore' });
  const one: { ms: number; cpuMs: number }[] = [];
  const oneSsh: number[] = [];
  const byN = new Map<number, { ms: number; cpuMs: number; sshMs: number }[]>(sizes.map((n) => [n, []]));
  for (let r = 0; r < runs; r++) {
    one.push(timed(process.execPath, [...rollout(1)]));
    oneSsh.push(await parallelSshTrue(hosts.slice(0, 1)));
    for (const n of sizes) {
      const run = timed(process.execPath, [...rollout(n), '--parallel', String(n)]);
      byN.get(n)!.push({ ...run, sshMs: await parallelSshTrue(hosts.slice(0, n)) });
    }
  }
  const oneMs = median(one.map((x) => x.ms));
  const oneCpuMs = median(one.map((x) => x.cpuMs));
  const oneSshMs = median(oneSsh);
  const points = sizes.map((n) => {
    const xs = byN.get(n)!;
    const ms = median(xs.map((x) => x.ms));
    const sshMs = median(xs.map((x) => x.sshMs));
    return { hosts: n, ms, ratio: ms / oneMs, cpuMs: median(xs.map((x) => x.cpuMs)), sshMs, sshRatio: sshMs / oneSshMs };
  });
  const top = points.at(-1)!;
  return { oneMs, oneCpuMs, oneSshMs, points, marginalCpuPerHostMs: (top.cpuMs - oneCpuMs) / (top.hosts - 1) };
}
