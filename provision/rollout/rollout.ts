// Many hosts at once: a concurrency limit, an optional canary batch, and a failure budget. When
// the budget is spent no new host starts, hosts in flight finish, and the rest are skipped.
// Generic over what a host's run returns: it only needs to know whether the host failed.
import { inPool } from './pool.ts';

export interface RolloutOptions {
  parallel: number;
  /** Run this many hosts first; if any of them fails, start no other. */
  canary?: number;
  /** Failures (failed, rolled back or unreachable) tolerated before stopping; undefined = no limit. */
  maxFailures?: number;
}

/** What a host's run must say for the scheduler: how it ended ('failed', 'rolled back' and 'unreachable' spend the budget). */
export interface Finished {
  outcome: string;
}

/** A host that failed, rolled back after its health gate, or was lost: it spends the failure budget. */
const spends = (outcome: string) => outcome === 'failed' || outcome === 'rolled back' || outcome === 'unreachable';

export async function rollout<R extends Finished>(
  hosts: string[],
  options: RolloutOptions,
  runHost: (host: string) => Promise<R>,
  /** The result of a host never started, and why. */
  notStarted: (host: string, reason: string) => R,
): Promise<R[]> {
  const results = new Map<string, R>();
  let failures = 0;
  let stopped: string | undefined;

  const batch = (names: string[]) =>
    inPool(
      names,
      options.parallel,
      async (name) => {
        const r = await runHost(name);
        results.set(name, r);
        if (spends(r.outcome)) {
          failures++;
          if (options.maxFailures !== undefined && failures > options.maxFailures)
            stopped ??= `failure budget of ${options.maxFailures} exceeded`;
        }
      },
      () => stopped !== undefined,
    );

  const canary = options.canary ? hosts.slice(0, options.canary) : [];
  if (canary.length) {
    await batch(canary);
    if (canary.some((h) => spends(results.get(h)?.outcome ?? ''))) stopped ??= 'the canary failed';
  }
  await batch(hosts.slice(canary.length));

  return hosts.map((h) => results.get(h) ?? notStarted(h, stopped ?? 'stopped'));
}
