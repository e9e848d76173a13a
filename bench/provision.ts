// Benchmarks 2 and 3: a no-op re-provision of one lab Pi against a bare `ssh host true`, and a
// no-op rollout of N lab Pis against one. Each pair is measured side by side in one run, runs
// interleaved so a slow moment of the machine hits both sides alike.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { containerUp } from '../lab/container.ts';
import { sshArgs } from '../lab/ssh-args.ts';
import type { LabHost } from '../lab/state.ts';
import { buildCli } from '../provision/build-cli.ts';
import { writeInventory } from '../lab/scratch-inventory.ts';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timed(cmd: string, args: string[]): number {
  const start = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')}... exited ${r.status}: ${r.stderr.slice(-500)}${r.stdout.slice(-500)}`);
  return ms;
}

// Fleet benchmarks run many lab Pis at once: a tiny picture keeps the encoders from being the
// thing measured.
const lightCamera = (doc: { defaults: Record<string, unknown> }) => {
  doc.defaults.camera = { device: 'lavfi:testsrc2', resolution: '160x120', fps: 5, bitrate: '100k', encoder: 'libx264' };
};

async function cli(): Promise<string> {
  return existsSync(join(import.meta.dirname, '..', 'dist', 'camfleet.mjs')) ? join(import.meta.dirname, '..', 'dist', 'camfleet.mjs') : buildCli();
}

export interface NoopBench {
  provisionMs: number;
  sshTrueMs: number;
  ratio: number;
  runs: number;
}

/** Converge `hosts`, then time no-op runs of the bundled CLI against `ssh host true`. */
export async function benchNoopProvision(o: { runs?: number; log?: (l: string) => void } = {}): Promise<NoopBench> {
  const runs = o.runs ?? 7;
  const camfleet = await buildCli();
  const [pi] = (await containerUp({ hosts: 1, layer: 'ready', log: o.log })) as [LabHost];
  const inventory = writeInventory([pi], lightCamera);
  const provision = ['provision', '--inventory', inventory, '--host', pi.name];
  execFileSync(process.execPath, [camfleet, ...provision], { stdio: 'ignore' }); // converge first
  const p: number[] = [];
  const s: number[] = [];
  for (let i = 0; i < runs; i++) {
    p.push(timed(process.execPath, [camfleet, ...provision]));
    s.push(timed('ssh', sshArgs(pi, ['true'])));
  }
  const provisionMs = median(p);
  const sshTrueMs = median(s);
  return { provisionMs, sshTrueMs, ratio: provisionMs / sshTrueMs, runs };
}

export interface RolloutBench {
  oneMs: number;
  points: { hosts: number; ms: number; ratio: number }[];
}

/** No-op rollouts of 1 and of each N lab Pis (all converged first), with --parallel N. */
export async function benchNoopRollout(o: { sizes?: number[]; runs?: number; log?: (l: string) => void } = {}): Promise<RolloutBench> {
  const sizes = o.sizes ?? [5, 10, 20];
  const runs = o.runs ?? 3;
  const camfleet = await cli();
  const largest = Math.max(...sizes);
  const hosts = await containerUp({ hosts: largest, layer: 'ready', log: o.log });
  const inventory = writeInventory(hosts, lightCamera);
  const rollout = (n: number) => [camfleet, 'provision', '--inventory', inventory, '--limit', hosts.slice(0, n).map((h) => h.name).join(',')];
  o.log?.(`converging ${largest} lab Pis`);
  execFileSync(process.execPath, [...rollout(largest), '--parallel', String(largest)], { stdio: 'ignore' });
  const oneRuns: number[] = [];
  const points: RolloutBench['points'] = [];
  const byN = new Map<number, number[]>(sizes.map((n) => [n, []]));
  for (let r = 0; r < runs; r++) {
    oneRuns.push(timed(process.execPath, [...rollout(1)]));
    for (const n of sizes) byN.get(n)!.push(timed(process.execPath, [...rollout(n), '--parallel', String(n)]));
  }
  const oneMs = median(oneRuns);
  for (const n of sizes) {
    const ms = median(byN.get(n)!);
    points.push({ hosts: n, ms, ratio: ms / oneMs });
  }
  return { oneMs, points };
}
