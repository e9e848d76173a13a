// The health gate after apply (issue 27) on 4 container lab Pis, one boot shared by every case: a
// change that breaks the camera rolls the canary back by itself (its stream LIVE again with the old
// settings, the other three untouched); without a canary each Pi rolls back until the failure
// budget stops the rollout; a change that is fine passes the gate, and the run after it is a no-op.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerDown, containerUp } from '../lab/container.ts';
import type { LabHost } from '../lab/state.ts';
import { camfleet } from './support/cli.ts';
import { labUnavailable, mainPid, onHost, waitForStream, writeInventory, type Edit } from './support/lab.ts';

interface Report {
  exitCode: number;
  hosts: { host: string; outcome: string; plan: { changes: number } | null; applied: { label: string; ms: number }[]; error: { step: string; message: string } | null }[];
}
const report = (stdout: string) => JSON.parse(stdout) as Report;
const outcomes = (r: Report) => Object.fromEntries(r.hosts.map((h) => [h.host, h.outcome]));

/** The settle time these runs ask for (--health-timeout): short, so a failing gate gives up sooner. */
const settle = 4;
/** What the gate gives a stream to come up beyond the settle time (core/plan/gate.ts gateStartupSeconds). */
const startup = 30;
/** The stated time: a rolled-back stream is LIVE again (held for the settle time) within this of the rollback's start. */
const liveAgainWithinS = settle + 10;

const why = labUnavailable();
if (why) console.warn(`skipping health gate end-to-end tests: ${why}`);

describe.skipIf(!!why)('health gate and rollback on 4 lab Pis', () => {
  let hosts: LabHost[];
  let inventory: string;
  const provision = (...args: string[]) => camfleet(['provision', '--inventory', inventory, '--json', '--health-timeout', String(settle), ...args]);
  const byName = (name: string) => hosts.find((h) => h.name === name)!;
  // A camera.device the Pis lack: render, nginx -t and verify all pass (the streamer runs, waiting for it); only the picture is gone.
  const missingCamera: Edit = (doc) => {
    doc.defaults.camera = { ...(doc.defaults.camera as object), device: '/dev/video9' };
  };
  /** What must not move on a Pi the rollout never touched: its streamer's config and process. */
  const fingerprint = (h: LabHost) => ({ config: onHost(h, 'sha256sum /etc/camfleet/streamer.json'), streamer: mainPid(h, 'camfleet-streamer') });
  /** Nothing the commit kept, nothing owed, the old device in place, and the stream playing at the old size. */
  const backOnOldSettings = async (h: LabHost) => {
    expect(onHost(h, 'sudo cat /etc/camfleet/streamer.json')).toContain('lavfi:testsrc2');
    expect(onHost(h, 'sudo find /etc /opt -name ".*.camfleet-prev" | wc -l').trim()).toBe('0');
    expect(onHost(h, 'test -e /var/lib/camfleet/pending-restarts && echo owed || echo none').trim()).toBe('none');
    expect(await waitForStream(`rtmp://${h.address}:1935/live/cam`, 15_000)).toMatchObject({ width: 640, height: 360 });
  };
  const rolledBackMessage = (r: Report, host: string) => {
    const h = r.hosts.find((x) => x.host === host)!;
    expect(h.outcome).toBe('rolled back');
    expect(h.error?.step).toBe('health gate');
    // The streamer's own last error names the cause; the rollback says when the stream was LIVE again.
    expect(h.error?.message).toMatch(/camera device \/dev\/video9 does not exist/);
    // A device that is not there fails the gate after its grace time, not the whole startup allowance.
    expect(h.error?.message).toMatch(/the camera device has been missing for 10 s/);
    const again = /the stream is LIVE again with the old files ([\d.]+) s after the rollback began/.exec(h.error?.message ?? '');
    expect(again, h.error?.message).not.toBeNull();
    return Number(again![1]);
  };

  beforeAll(async () => {
    hosts = await containerUp({ hosts: 4, layer: 'ready' });
    inventory = writeInventory(hosts);
    // The starting point every case changes: all four installed and streaming (a first install is gated too).
    const first = await provision('--all');
    expect(first.code, first.stderr).toBe(0);
    expect(outcomes(report(first.stdout))).toEqual({ lab1: 'changed', lab2: 'changed', lab3: 'changed', lab4: 'changed' });
  });
  afterAll(async () => {
    if (!why) await containerDown();
  });

  it('a canary whose camera breaks rolls back by itself, LIVE again on the old settings; the other three are never touched', async () => {
    const before = Object.fromEntries(['lab2', 'lab3', 'lab4'].map((n) => [n, fingerprint(byName(n))]));
    inventory = writeInventory(hosts, missingCamera);
    // The default settle time, named: test/support/cli.ts shortens the gate of runs that name none.
    const check = await camfleet(['provision', '--inventory', inventory, '--check', '--host', 'lab1', '--health-timeout', '10']);
    expect(check.stdout).toMatch(/· health gate: the stream LIVE at >= 13.5 fps \(90% of 15\) for 10 s, within 40 s; else roll back \(restore \d+ file\(s\), remove 0 created, restart [^)]*camfleet-streamer.service[^)]*\)/);

    const started = performance.now();
    const r = await provision('--all', '--canary', '1');
    const seconds = (performance.now() - started) / 1000;
    expect(r.code).toBe(1);
    const result = report(r.stdout);
    expect(outcomes(result)).toEqual({ lab1: 'rolled back', lab2: 'skipped', lab3: 'skipped', lab4: 'skipped' });
    expect(result.hosts.find((h) => h.host === 'lab2')?.error?.message).toMatch(/the canary failed/);
    const liveAgain = rolledBackMessage(result, 'lab1');
    expect(liveAgain).toBeLessThanOrEqual(liveAgainWithinS);
    console.log(`canary rolled back: run ${seconds.toFixed(1)} s, stream LIVE again (held ${settle} s) ${liveAgain} s after the rollback began`);
    await backOnOldSettings(byName('lab1'));
    for (const n of ['lab2', 'lab3', 'lab4']) expect(fingerprint(byName(n)), n).toEqual(before[n]);
  }, 300_000);

  it('--canary 0 --max-failures 25%: each Pi rolls back until the budget (1 of 4) is spent, then the rollout stops', async () => {
    const before = Object.fromEntries(['lab3', 'lab4'].map((n) => [n, fingerprint(byName(n))]));
    inventory = writeInventory(hosts, missingCamera);
    // One Pi at a time, so the budget's stop falls between Pis: lab1 (the budget) and lab2 (over it) roll back, lab3 and lab4 never start.
    const r = await provision('--all', '--canary', '0', '--max-failures', '25%', '--parallel', '1');
    expect(r.code).toBe(1);
    const result = report(r.stdout);
    expect(outcomes(result)).toEqual({ lab1: 'rolled back', lab2: 'rolled back', lab3: 'skipped', lab4: 'skipped' });
    for (const n of ['lab3', 'lab4']) expect(result.hosts.find((h) => h.host === n)?.error?.message, n).toMatch(/failure budget of 1 exceeded/);
    for (const n of ['lab1', 'lab2']) {
      expect(rolledBackMessage(result, n)).toBeLessThanOrEqual(liveAgainWithinS);
      await backOnOldSettings(byName(n));
    }
    for (const n of ['lab3', 'lab4']) expect(fingerprint(byName(n)), n).toEqual(before[n]);
  }, 300_000);

  it('a change that is fine passes the gate in the settle time, keeps nothing behind, and the run after it changes nothing', async () => {
    inventory = writeInventory(hosts, (doc) => {
      doc.defaults.camera = { ...(doc.defaults.camera as object), bitrate: '600k' };
    });
    const r = await provision('--all');
    expect(r.code, r.stdout).toBe(0);
    const result = report(r.stdout);
    expect(outcomes(result)).toEqual({ lab1: 'changed', lab2: 'changed', lab3: 'changed', lab4: 'changed' });
    for (const h of result.hosts) {
      const gate = h.applied.find((s) => s.label.startsWith('health gate:'));
      expect(gate, h.host).toBeDefined();
      // The settle time, and little more: the stream was up within a few seconds of its restart.
      expect(gate!.ms).toBeGreaterThanOrEqual(settle * 1000);
      expect(gate!.ms).toBeLessThan((settle + startup) * 1000);
      console.log(`${h.host}: health gate passed in ${(gate!.ms / 1000).toFixed(1)} s (settle ${settle} s)`);
    }
    for (const h of hosts) {
      expect(onHost(h, 'sudo cat /etc/camfleet/streamer.json')).toMatch(/600k|600000/);
      expect(onHost(h, 'sudo find /etc /opt -name ".*.camfleet-prev" | wc -l').trim()).toBe('0');
    }
    const again = await provision('--all');
    expect(again.code).toBe(0);
    const second = report(again.stdout);
    expect(second.hosts.map((h) => [h.host, h.outcome, h.plan?.changes, h.applied.length])).toEqual(hosts.map((h) => [h.name, 'ok', 0, 0]));
  }, 300_000);
});
