// Benchmark 8: what the health gate costs a rollout (issue 27). A healthy no-op rollout has no gate
// at all (the plan is empty); a changing one pays the settle time, plus only the moments the
// stream takes to come back after its restart. Read from the run's own --json step timings.
import { execFileSync } from 'node:child_process';
import { containerUp } from '../lab/container.ts';
import type { LabHost } from '../lab/state.ts';
import { buildCli } from '../provision/bundle/build-cli.ts';
import { writeInventory } from '../lab/scratch-inventory.ts';
import { defaultSettleSeconds } from '../provision/core/plan/gate.ts';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface GateBench {
  settleSeconds: number;
  /** The no-op rollout: its steps (none) and whether any was a gate. */
  noopGateMs: number;
  noopMs: number;
  /** Changing rollouts: the gate step alone, and the whole run. */
  gateMs: number;
  changeMs: number;
  ratio: number;
  runs: number;
}

interface Applied {
  hosts: { outcome: string; applied: { label: string; ms: number }[] }[];
}

export async function benchHealthGate(o: { runs?: number; log?: (l: string) => void } = {}): Promise<GateBench> {
  const runs = o.runs ?? 3;
  const camfleet = await buildCli();
  const [pi] = (await containerUp({ hosts: 1, layer: 'ready', log: o.log })) as [LabHost];
  const withBitrate = (bitrate: string) =>
    writeInventory([pi], (doc) => {
      doc.defaults.camera = { ...(doc.defaults.camera as object), bitrate };
    });
  const provision = (inventory: string) => {
    const start = performance.now();
    const out = execFileSync(process.execPath, [camfleet, 'provision', '--inventory', inventory, '--host', pi.name, '--json'], {
      encoding: 'utf8',
      // The JSON report of a first install is large; the progress lines on stderr are not wanted.
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const ms = performance.now() - start;
    const host = (JSON.parse(out) as Applied).hosts[0]!;
    if (!['ok', 'changed'].includes(host.outcome)) throw new Error(`provision ended ${host.outcome}`);
    return { ms, gateMs: host.applied.find((s) => s.label.startsWith('health gate:'))?.ms ?? 0 };
  };
  const bitrates = ['800k', '600k'];
  provision(withBitrate(bitrates[0]!)); // converge first
  const noop = provision(withBitrate(bitrates[0]!));
  const gate: number[] = [];
  const change: number[] = [];
  for (let i = 1; i <= runs; i++) {
    const r = provision(withBitrate(bitrates[i % 2]!));
    gate.push(r.gateMs);
    change.push(r.ms);
    o.log?.(`changing rollout ${i}: gate ${(r.gateMs / 1000).toFixed(2)} s of ${(r.ms / 1000).toFixed(2)} s`);
  }
  const gateMs = median(gate);
  return { settleSeconds: defaultSettleSeconds, noopGateMs: noop.gateMs, noopMs: noop.ms, gateMs, changeMs: median(change), ratio: gateMs / (defaultSettleSeconds * 1000), runs };
}

export function formatHealthGate(r: GateBench, verdict: (ok: boolean) => string): string[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const beyond = r.gateMs - r.settleSeconds * 1000;
  return [
    `8. health gate: a healthy no-op rollout has none: ${s(r.noopGateMs)} of its ${s(r.noopMs)} — goal 0 s: ${verdict(r.noopGateMs === 0)}`,
    `   a changing rollout (bitrate): the gate ${s(r.gateMs)} for a settle time of ${r.settleSeconds} s = ${r.ratio.toFixed(2)}x, of the whole run's ${s(r.changeMs)}; ` +
      `beyond the settle time ${s(beyond)}, the stream coming back after its restart — goal <= 5 s beyond: ${verdict(beyond <= 5000)} (median of ${r.runs})`,
  ];
}
