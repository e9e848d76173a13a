// The one worker pool (rollout and status share it): its bound, its order, and stopping.
import { describe, expect, it } from 'vitest';
import { inPool } from '../provision/rollout/pool.ts';
import { rollout } from '../provision/rollout/rollout.ts';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('inPool', () => {
  it('runs every item, never more than `parallel` at once, starting them in order', async () => {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    await inPool([...Array(10).keys()], 3, async (i) => {
      started.push(i);
      most = Math.max(most, ++running);
      await tick();
      running--;
    });
    expect(started).toEqual([...Array(10).keys()]);
    expect(most).toBe(3);
  });

  it('starts nothing more once stop() says so; what runs finishes', async () => {
    const done: number[] = [];
    await inPool(
      [...Array(10).keys()],
      2,
      async (i) => {
        await tick();
        done.push(i);
      },
      () => done.length >= 3,
    );
    // Two workers: the third item finishes while the fourth runs; nothing after that starts.
    expect(done).toEqual([0, 1, 2, 3]);
  });

  it('with no items does nothing, and a parallel of 0 still runs one at a time', async () => {
    await inPool([], 4, async () => expect.unreachable());
    const seen: string[] = [];
    await inPool(['a', 'b'], 0, async (s) => void seen.push(s));
    expect(seen).toEqual(['a', 'b']);
  });
});

describe('rollout: a host that rolled back after its health gate is a failure', () => {
  const run = (outcomes: Record<string, string>) => async (host: string) => ({ host, outcome: outcomes[host] ?? 'changed' });
  const notStarted = (host: string, reason: string) => ({ host, outcome: `skipped: ${reason}` });

  it('a canary that rolls back stops the rollout before any other host starts', async () => {
    const started: string[] = [];
    const results = await rollout(['a', 'b', 'c'], { parallel: 8, canary: 1 }, async (h) => (started.push(h), run({ a: 'rolled back' })(h)), notStarted);
    expect(started).toEqual(['a']);
    expect(results.map((r) => r.outcome)).toEqual(['rolled back', 'skipped: the canary failed', 'skipped: the canary failed']);
  });

  it('rolled-back hosts spend the failure budget', async () => {
    const results = await rollout(['a', 'b', 'c', 'd'], { parallel: 1, maxFailures: 2 }, run({ a: 'rolled back', b: 'rolled back', c: 'rolled back' }), notStarted);
    expect(results.map((r) => r.outcome)).toEqual(['rolled back', 'rolled back', 'rolled back', 'skipped: failure budget of 2 exceeded']);
  });
});
