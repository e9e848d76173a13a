// The table at the end of a run, and the exit status it adds up to.
import type { HostResult } from '../commands/provision-host.ts';
import { exitCodes } from '../exit-codes.ts';

export function summaryTable(results: HostResult[]): string {
  const rows = results.map((r) => [
    r.host,
    r.outcome,
    r.plan ? String(r.plan.steps.length) : '-',
    `${(r.ms / 1000).toFixed(1)}s`,
    r.error ? r.error.message.split('\n')[0]!.replace(`${r.host}: `, '') : '',
  ]);
  const header = ['HOST', 'RESULT', 'CHANGES', 'TIME', 'REASON'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  const total = [...counts].map(([k, v]) => `${v} ${k}`).join(', ');
  return [fmt(header), ...rows.map(fmt), '', `${results.length} host(s): ${total}`].join('\n');
}

/**
 * Failed (1) and unreachable (4) are bits, so a run with both exits 5 and says both; either
 * outranks pending changes (3). A host skipped by the failure budget counts as failed: not done.
 */
export function exitCodeFor(results: HostResult[]): number {
  const failed = results.some((r) => r.outcome === 'failed' || r.outcome === 'skipped') ? exitCodes.failed : 0;
  const unreachable = results.some((r) => r.outcome === 'unreachable') ? exitCodes.unreachable : 0;
  if (failed || unreachable) return failed | unreachable;
  if (results.some((r) => r.outcome === 'pending')) return exitCodes.changesPending;
  return exitCodes.ok;
}
