// Many hosts at once: a concurrency limit, an optional canary batch, and a failure budget. When
// the budget is spent no new host starts, hosts in flight finish, and the rest are skipped.
import type { HostResult } from '../commands/provision-host.ts';

export interface RolloutOptions {
  parallel: number;
  /** Run this many hosts first; if any of them fails, start no other. */
  canary?: number;
  /** Failures (failed or unreachable) tolerated before stopping; undefined = no limit. */
  maxFailures?: number;
}

export async function rollout(
  hosts: string[],
  options: RolloutOptions,
  runHost: (host: string) => Promise<HostResult>,
): Promise<HostResult[]> {
  const results = new Map<string, HostResult>();
  let failures = 0;
  let stopped: string | undefined;

  const batch = async (names: string[]) => {
    let next = 0; // an index, not queue.shift(): shifting a long array copies what is left
    const worker = async () => {
      for (let name = names[next++]; name !== undefined; name = names[next++]) {
        if (stopped) break;
        const r = await runHost(name);
        results.set(name, r);
        if (r.outcome === 'failed' || r.outcome === 'unreachable') {
          failures++;
          if (options.maxFailures !== undefined && failures > options.maxFailures)
            stopped ??= `failure budget of ${options.maxFailures} exceeded`;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.parallel, names.length)) }, worker));
  };

  const canary = options.canary ? hosts.slice(0, options.canary) : [];
  if (canary.length) {
    await batch(canary);
    if (canary.some((h) => ['failed', 'unreachable'].includes(results.get(h)?.outcome ?? ''))) stopped ??= 'the canary failed';
  }
  await batch(hosts.slice(canary.length));

  return hosts.map(
    (h) => results.get(h) ?? { host: h, outcome: 'skipped', steps: [], ms: 0, error: { step: 'rollout', message: `not started: ${stopped ?? 'stopped'}` } },
  );
}

/** `3` -> 3; `20%` of 10 hosts -> 2. */
export function parseFailureBudget(text: string, hostCount: number): number {
  const m = /^(\d+)(%?)$/.exec(text.trim());
  if (!m) throw new Error(`--max-failures takes a count or a percentage, not '${text}'`);
  return m[2] ? Math.floor((Number(m[1]) * hostCount) / 100) : Number(m[1]);
}
