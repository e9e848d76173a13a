// What an operator reads during and after a 1,000-host rollout: one screen of progress, however
// many hosts, and a summary that groups failures by reason instead of listing every host.
import { describe, expect, it } from 'vitest';
import type { HostResult } from '../provision/converge/result.ts';
import { liveFrame, newLiveState, progressView, recordDone, recordStep } from '../provision/cli/progress.ts';
import { exitCodeFor, failureGroups, summaryTable } from '../provision/cli/summary.ts';

const ok = (host: string): HostResult => ({ host, outcome: 'ok', steps: [], ms: 420, plan: { host, steps: [], warnings: [] } });
const timedOut = (host: string, address: string): HostResult => ({
  host,
  outcome: 'unreachable',
  steps: [],
  ms: 3000,
  error: { step: 'connect', message: `${host}: connect: timed out connecting to ${address}:22` },
});
const nginxFailed = (host: string): HostResult => ({
  host,
  outcome: 'failed',
  steps: [],
  ms: 900,
  error: { step: 'validate', message: `${host}: validate: nginx -t rejected /etc/nginx/nginx.conf\n  nginx: [emerg] unknown directive "this" in /etc/nginx/conf.d/broken.conf:1` },
});

/** 1,000 hosts: 37 time out, 2 fail nginx -t, the rest are in sync. */
function fleetResults(): { results: HostResult[]; addresses: Map<string, string> } {
  const addresses = new Map<string, string>();
  const results = Array.from({ length: 1000 }, (_, i) => {
    const host = `pi${i + 1}`;
    addresses.set(host, `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`);
    if (i % 27 === 5) return timedOut(host, addresses.get(host)!);
    if (i === 500 || i === 900) return nginxFailed(host);
    return ok(host);
  });
  return { results, addresses };
}

describe('failures grouped by reason', () => {
  it('counts hosts per reason, with each host’s own name and address taken out, largest group first', () => {
    const { results, addresses } = fleetResults();
    const groups = failureGroups(results, addresses);
    expect(groups.map((g) => [g.hosts.length, g.reason])).toEqual([
      [37, 'unreachable: connect: timed out connecting to <address>:22'],
      [2, 'failed: validate: nginx -t rejected /etc/nginx/nginx.conf'],
    ]);
    expect(groups[1]!.hosts).toEqual(['pi501', 'pi901']);
    // The remote's own words come along once per group.
    expect(groups[1]!.detail.join('\n')).toMatch(/unknown directive "this"/);
  });

  it('keeps reasons apart that differ in more than the host', () => {
    const groups = failureGroups([timedOut('a', '10.0.0.1'), { ...timedOut('b', '10.0.0.2'), error: { step: 'connect', message: 'b: connect: connection refused by 10.0.0.2:22' } }], new Map([['a', '10.0.0.1'], ['b', '10.0.0.2']]));
    expect(groups).toHaveLength(2);
  });

  it('the summary of 1,000 hosts lists the ones that need a look, groups their reasons, and counts all', () => {
    const { results, addresses } = fleetResults();
    const text = summaryTable(results, addresses);
    const lines = text.split('\n');
    expect(lines.length).toBeLessThan(50);
    expect(text).toMatch(/^ {2}37 hosts: unreachable: connect: timed out connecting to <address>:22 \(pi6, pi33, /m);
    expect(text).toMatch(/^ {2}2 hosts: failed: validate: nginx -t rejected .*\n {4}nginx: \[emerg\] unknown directive "this"/m);
    expect(text).toMatch(/^… \d+ more host\(s\) not listed \(961 of them in sync\)/m);
    expect(lines.at(-1)).toBe('1000 host(s): 961 ok, 37 unreachable, 2 failed');
    expect(text).not.toMatch(/^pi1 +ok/m); // a host in sync gets no row in a large fleet
  });

  it('a small fleet still gets a row per host', () => {
    const text = summaryTable([ok('pi1'), nginxFailed('pi2'), timedOut('pi3', '10.0.0.3')]);
    expect(text).toMatch(/^pi1 +ok +0/m);
    expect(text).toMatch(/^pi2 +failed +- +0\.9s +validate: nginx -t rejected/m);
    expect(text).toMatch(/^pi3 +unreachable .*timed out connecting to 10\.0\.0\.3:22/m);
    expect(text.split('\n').at(-1)).toBe('3 host(s): 1 ok, 1 failed, 1 unreachable');
  });
});

describe('the exit status of a rollout', () => {
  // What provision-host makes of a connection lost mid-run (faults.e2e loses one for real).
  const lost = (host: string): HostResult => ({
    host,
    outcome: 'unreachable',
    steps: [],
    ms: 2000,
    error: { step: 'restart nginx.service', message: `${host}: restart nginx.service: the SSH connection was lost during this step (the connection closed)` },
  });

  it('4 when a host was lost (unreachable), 1 when a step failed, 5 for both', () => {
    expect(exitCodeFor([ok('a'), lost('b')])).toBe(4);
    expect(exitCodeFor([ok('a'), nginxFailed('b')])).toBe(1);
    // A Pi that failed its health gate and rolled back is a failure too.
    expect(exitCodeFor([ok('a'), { host: 'b', outcome: 'rolled back', steps: [], ms: 1 }])).toBe(1);
    expect(exitCodeFor([lost('a'), nginxFailed('b'), timedOut('c', '10.0.0.3')])).toBe(5);
  });
});

describe('the live display of a 1,000-host rollout', () => {
  it('is one screen: counts by state, the slowest hosts in flight, the latest failures', () => {
    const { results } = fleetResults();
    const state = newLiveState(1000, 0);
    // 600 done, 100 in flight (started at different times), 300 waiting.
    results.slice(0, 600).forEach((r, i) => (recordStep(state, r.host, 'connect', i), recordDone(state, r)));
    results.slice(600, 700).forEach((r, i) => recordStep(state, r.host, i % 4 ? 'observe' : 'connect', 1000 + i));
    const frame = liveFrame(state, { now: 5000, width: 200, height: 24 });
    expect(frame.length).toBeLessThanOrEqual(23);
    expect(frame[0]).toBe('600/1000 done (576 ok, 23 unreachable, 1 failed) · 100 running (25 connect, 75 observe) · 300 waiting · 5.0s');
    expect(frame.filter((l) => l.includes('slowest'))).toEqual(['  slowest: pi601 connect 4.0s', '  slowest: pi602 observe 4.0s', '  slowest: pi603 observe 4.0s']);
    expect(frame.filter((l) => l.startsWith('  ✗ pi'))).toHaveLength(5);
    expect(frame.at(-1)).toBe('  ✗ … 19 more (all in the summary)');
    for (const line of liveFrame(state, { now: 5000, width: 80, height: 24 })) expect(line.length).toBeLessThanOrEqual(79);
  });

  it('fits a short terminal', () => {
    const state = newLiveState(1000, 0);
    const { results } = fleetResults();
    results.forEach((r) => recordDone(state, r));
    expect(liveFrame(state, { now: 1, width: 30, height: 4 })).toHaveLength(3);
  });

  it('on a terminal redraws in place a few times a second, however many events, and never scrolls a host line by', async () => {
    const writes: string[] = [];
    const tty = { isTTY: true, columns: 100, rows: 20, write: (s: string) => (writes.push(s), true) } as unknown as NodeJS.WriteStream;
    const view = progressView(tty, { total: 1000 });
    const { results } = fleetResults();
    for (const r of results) {
      view.step(r.host, 'connect');
      view.step(r.host, 'observe');
      view.done(r);
    }
    await new Promise((r) => setTimeout(r, 350));
    view.close();
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.length).toBeLessThan(10); // 3,000 events, a handful of redraws
    let drawn = 0;
    for (const w of writes) {
      // Each redraw first moves up over exactly what the last one drew, then draws at most a screen.
      const up = /^\x1b\[(\d+)A\x1b\[0J/.exec(w);
      expect(Number(up?.[1] ?? 0)).toBe(drawn);
      const body = w.replace(/^\x1b\[\d+A\x1b\[0J/, '');
      drawn = body ? body.split('\n').length - 1 : 0;
      expect(drawn).toBeLessThan(20);
    }
    expect(writes.at(-2)).toMatch(/1000\/1000 done \(961 ok, 37 unreachable, 2 failed\)/);
    expect(writes.join('')).not.toMatch(/pi1: ok/);
  });

  it('elsewhere (a pipe, a CI log) writes a plain line per event, in order', async () => {
    const writes: string[] = [];
    const pipe = { isTTY: false, write: (s: string) => (writes.push(s), true) } as unknown as NodeJS.WriteStream;
    const view = progressView(pipe, { total: 2 });
    view.step('pi1', 'connect');
    view.done(ok('pi1'));
    view.done(nginxFailed('pi2'));
    view.close();
    expect(writes.join('')).toBe(
      'pi1: connect\npi1: ok, in sync (0.4s)\npi2: failed — pi2: validate: nginx -t rejected /etc/nginx/nginx.conf\n  nginx: [emerg] unknown directive "this" in /etc/nginx/conf.d/broken.conf:1\n',
    );
    expect(writes.length).toBe(1); // one tick's lines in one write
  });

  it('elsewhere, a note (a plan comes next on stdout) goes out at once, after the lines before it', () => {
    const writes: string[] = [];
    const pipe = { isTTY: false, write: (s: string) => (writes.push(s), true) } as unknown as NodeJS.WriteStream;
    const view = progressView(pipe, { total: 1 });
    view.step('pi1', 'observe');
    view.note('');
    expect(writes).toEqual(['pi1: observe\n\n']);
    view.close();
  });
});
