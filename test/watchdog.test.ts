// The streamer's messages to systemd (streamer/watchdog.ts): READY=1 until systemd takes one, then
// watchdog pings. The notifier is a stand-in script that records its arguments (named as a fake:
// systemd-notify needs a running systemd's socket; the faults e2e has the real one on a lab Pi).
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startWatchdog } from '../streamer/watchdog.ts';

/** A fake systemd-notify that appends its arguments to a file and exits `firstCode` on its first call. */
function fakeNotify(firstCode = 0): { notify: string; calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'camfleet-notify-'));
  const log = join(dir, 'calls');
  const notify = join(dir, 'systemd-notify');
  writeFileSync(notify, `#!/bin/sh\n[ -e ${log} ] || first=yes\necho "$*" >> ${log}\n[ -n "$first" ] && exit ${firstCode}\nexit 0\n`);
  chmodSync(notify, 0o755);
  return { notify, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The calls once `enough` holds of them (polled: a busy machine runs the pings late, not wrong). */
async function callsWhen(calls: () => string[], enough: (c: string[]) => boolean): Promise<string[]> {
  for (const until = Date.now() + 15_000; Date.now() < until && !enough(calls()); ) await sleep(100);
  return calls();
}

const env = (extra: Record<string, string>) => ({ PATH: process.env.PATH, NOTIFY_SOCKET: '/run/systemd/notify', ...extra });
const watchdog = { WATCHDOG_USEC: '1500000' };

describe('startWatchdog', () => {
  it('says READY=1 with its first ping, then only pings', async () => {
    const fake = fakeNotify();
    const logged: string[] = [];
    const stop = startWatchdog({ env: env(watchdog), notify: fake.notify, log: (event) => logged.push(event) });
    const calls = await callsWhen(fake.calls, (c) => c.length >= 3);
    stop();
    expect(calls.slice(0, 3)).toEqual(['READY=1 WATCHDOG=1', 'WATCHDOG=1', 'WATCHDOG=1']);
    expect(logged).toEqual(['watchdog']);
  });

  it('says READY=1 again until systemd takes it, and says once that a message failed', async () => {
    const fake = fakeNotify(1);
    const logged: string[] = [];
    const stop = startWatchdog({ env: env(watchdog), notify: fake.notify, log: (event) => logged.push(event) });
    const calls = await callsWhen(fake.calls, (c) => c.at(-1) === 'WATCHDOG=1');
    stop();
    expect(calls.slice(0, 2)).toEqual(['READY=1 WATCHDOG=1', 'READY=1 WATCHDOG=1']);
    expect(calls.at(-1)).toBe('WATCHDOG=1');
    expect(logged).toEqual(['watchdog', 'watchdog-ping-failed']);
  });

  it('without a watchdog says READY=1 once, and no more', async () => {
    const fake = fakeNotify();
    startWatchdog({ env: env({}), notify: fake.notify, log: () => {} });
    await callsWhen(fake.calls, (c) => c.length >= 1);
    await sleep(2500); // past the 2 s a lost READY=1 would be said again
    expect(fake.calls()).toEqual(['READY=1']);
  });

  it('outside systemd (no NOTIFY_SOCKET) sends nothing', async () => {
    const fake = fakeNotify();
    startWatchdog({ env: { PATH: process.env.PATH, ...watchdog }, notify: fake.notify, log: () => {} });
    await sleep(1000);
    expect(fake.calls()).toEqual([]);
  });
});
