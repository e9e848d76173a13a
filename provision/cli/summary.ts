// The table at the end of a run, the failures grouped by reason, and the exit status it adds up to.
// A large fleet's table lists only the hosts that need a look; every host is still in --json.
import type { HostResult } from '../converge/result.ts';
import { exitCodes } from './exit-codes.ts';
import { formatTable } from './table.ts';
import { changeCount } from '../core/plan/steps.ts';

/** Up to this many hosts, the table has a row for each; beyond, a row for each host not in sync. */
export const everyRowUpTo = 30;

const notDone = (r: HostResult) => r.outcome === 'failed' || r.outcome === 'rolled back' || r.outcome === 'unreachable' || r.outcome === 'skipped' || r.outcome === 'stale';

/** The first line of a host's error, without the host's name in front. */
function firstLine(r: HostResult): string {
  return r.error ? r.error.message.split('\n')[0]!.replace(`${r.host}: `, '') : '';
}

export function summaryTable(results: HostResult[], addresses: ReadonlyMap<string, string> = new Map()): string {
  const listed = results.length <= everyRowUpTo ? results : results.filter((r) => r.outcome !== 'ok').slice(0, everyRowUpTo);
  const rows = listed.map((r) => [r.host, r.outcome, r.plan ? String(changeCount(r.plan)) : '-', `${(r.ms / 1000).toFixed(1)}s`, firstLine(r)]);
  const header = ['HOST', 'RESULT', 'CHANGES', 'TIME', 'REASON'];
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  const total = [...counts].map(([k, v]) => `${v} ${k}`).join(', ');
  const unlisted = results.length - listed.length;
  const more = unlisted ? [`… ${unlisted} more host(s) not listed (${counts.get('ok') ?? 0} of them in sync); --json lists every host`] : [];
  const groups = failureGroups(results, addresses);
  const grouped = groups.length ? ['', 'failures by reason:', ...groups.flatMap(formatGroup)] : [];
  return [...(rows.length ? formatTable(header, rows) : []), ...more, ...grouped, '', `${results.length} host(s): ${total}`].join('\n');
}

export interface FailureGroup {
  /** The reason with each host's own name and address taken out, so like failures read alike. */
  reason: string;
  hosts: string[];
  /** The remote's own words (stderr) for the first host of the group, if it said anything. */
  detail: string[];
}

/**
 * Failed, unreachable and skipped hosts, grouped by what went wrong: "37 hosts: connect: timed out
 * connecting to <address>". Largest group first.
 */
export function failureGroups(results: HostResult[], addresses: ReadonlyMap<string, string> = new Map()): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const r of results.filter(notDone)) {
    const reason = `${r.outcome}: ${generalize(firstLine(r) || 'no reason given', r.host, addresses.get(r.host))}`;
    const group = groups.get(reason) ?? { reason, hosts: [], detail: r.error?.message.split('\n').slice(1) ?? [] };
    group.hosts.push(r.host);
    groups.set(reason, group);
  }
  return [...groups.values()].sort((a, b) => b.hosts.length - a.hosts.length);
}

function generalize(reason: string, host: string, address?: string): string {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let out = reason;
  if (address) out = out.replace(new RegExp(`\\[${escape(address)}\\]:\\d+|${escape(address)}`, 'g'), '<address>');
  return out.replace(new RegExp(`\\b${escape(host)}\\b`, 'g'), '<host>');
}

function formatGroup(g: FailureGroup): string[] {
  const n = g.hosts.length;
  const names = g.hosts.slice(0, 8).join(', ') + (n > 8 ? `, … ${n - 8} more` : '');
  return [`  ${n} host${n === 1 ? '' : 's'}: ${g.reason} (${names})`, ...g.detail.map((l) => `    ${l.trim()}`)];
}

/**
 * Failed (1) and unreachable (4) are bits, so a run with both exits 5 and says both; either
 * outranks pending changes (3). A host skipped by the failure budget, or rolled back after its
 * health gate, counts as failed: not done.
 * A saved plan refused as stale is bad input, like a bad inventory (2): it outranks them all.
 */
export function exitCodeFor(results: HostResult[]): number {
  if (results.some((r) => r.outcome === 'stale')) return exitCodes.usage;
  const failed = results.some((r) => r.outcome === 'failed' || r.outcome === 'rolled back' || r.outcome === 'skipped') ? exitCodes.failed : 0;
  const unreachable = results.some((r) => r.outcome === 'unreachable') ? exitCodes.unreachable : 0;
  if (failed || unreachable) return failed | unreachable;
  if (results.some((r) => r.outcome === 'pending')) return exitCodes.changesPending;
  return exitCodes.ok;
}
