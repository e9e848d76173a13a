// The simulated fleet (lab/sim) end to end through camfleet's real CLI: 20 loopback SSH servers
// replaying a converged lab Pi's recorded answer, strict host keys on. And its refusals: a stale
// recording stops it before it listens; a script it has no answer for fails on the host.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimFleetRefused, spawnSimFleet, type SimFleetProcess } from '../lab/sim/harness.ts';
import { recordingFile, type Recording } from '../lab/sim/recording.ts';
import { camfleet } from './support/cli.ts';

interface Report {
  exitCode: number;
  hosts: { host: string; outcome: string; plan: { changes: number } | null; error: { step: string; message: string } | null }[];
}

const scratch = () => mkdtempSync(join(tmpdir(), 'camfleet-simtest-'));
const recording = () => JSON.parse(readFileSync(recordingFile, 'utf8')) as Recording;
const writeRecording = (r: Recording) => {
  const file = join(scratch(), 'recording.json');
  writeFileSync(file, JSON.stringify(r));
  return file;
};

describe('20 simulated Pis through the real CLI', () => {
  let fleet: SimFleetProcess;
  let inventory: string;
  beforeAll(async () => {
    fleet = await spawnSimFleet(20);
    inventory = await fleet.inventory(20);
  });
  afterAll(() => fleet?.stop());

  it('a rollout reports 0 changes on every host, each observed over SSH', async () => {
    const before = await fleet.stats();
    const r = await camfleet(['provision', '--inventory', inventory, '--all', '--parallel', '10', '--json']);
    expect(r.stderr).not.toMatch(/failed|unreachable/);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.hosts).toHaveLength(20);
    for (const h of report.hosts) expect({ host: h.host, outcome: h.outcome, changes: h.plan?.changes }).toEqual({ host: h.host, outcome: 'ok', changes: 0 });
    const after = await fleet.stats();
    expect(after.answered - before.answered).toBe(20);
    expect(after.refused - before.refused).toBe(0);
  });

  it('checks host keys strictly: a simulated Pi presenting another key is refused', async () => {
    const lines = readFileSync(fleet.knownHosts, 'utf8').trim().split('\n');
    // sim1's entry carries sim2's key.
    const swapped = [`${lines[0]!.split(' ')[0]} ${lines[1]!.split(' ').slice(1).join(' ')}`, ...lines.slice(1)];
    const knownHosts = join(scratch(), 'known_hosts');
    writeFileSync(knownHosts, `${swapped.join('\n')}\n`);
    const edited = join(scratch(), 'inventory.yaml');
    writeFileSync(edited, readFileSync(inventory, 'utf8').replace(/knownHostsFile: .*/, `knownHostsFile: ${knownHosts}`));
    const r = await camfleet(['provision', '--inventory', edited, '--limit', 'sim1,sim2', '--json']);
    expect(r.code).toBe(4);
    const outcomes = Object.fromEntries((JSON.parse(r.stdout) as Report).hosts.map((h) => [h.host, h]));
    expect(outcomes.sim1!.outcome).toBe('unreachable');
    expect(outcomes.sim1!.error!.message).toMatch(/HOST KEY MISMATCH/);
    expect(outcomes.sim2!.outcome).toBe('ok');
  });

  it('answers only the recorded observe script: a host rendered otherwise fails at observe', async () => {
    // Another camera device is another observe script (it checks that the device exists).
    const edited = join(scratch(), 'inventory.yaml');
    writeFileSync(edited, readFileSync(inventory, 'utf8').replace(/device: lavfi:testsrc2/, 'device: /dev/video7'));
    const before = await fleet.stats();
    const r = await camfleet(['provision', '--inventory', edited, '--limit', 'sim3', '--json']);
    expect(r.code).toBe(1);
    const [host] = (JSON.parse(r.stdout) as Report).hosts;
    expect(host).toMatchObject({ host: 'sim3', outcome: 'failed', error: { step: 'observe' } });
    expect(host!.error!.message).toMatch(/no recorded answer/);
    expect((await fleet.stats()).refused - before.refused).toBe(1);
  });
});

describe('a stale recording', () => {
  it('refuses to start, loudly, when camfleet would send another observe script than the recorded one', async () => {
    const r = recording();
    const stale = { ...r, observeScript: r.observeScript.replace('sha256sum', 'md5sum'), observeScriptSha256: 'f'.repeat(64) };
    const refusal = await spawnSimFleet(2, { env: { CAMFLEET_SIM_RECORDING: writeRecording(stale) } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refusal).toBeInstanceOf(SimFleetRefused);
    expect((refusal as SimFleetRefused).code).toBe(3);
    expect((refusal as SimFleetRefused).stderr).toMatch(/REFUSING TO RUN\. STALE RECORDING: camfleet's observe script changed/);
    expect((refusal as SimFleetRefused).stderr).toMatch(/- .*md5sum/); // shows what changed
    expect((refusal as SimFleetRefused).stderr).toContain('npm run sim -- record');
  });

  it('refuses to start when the recorded answer no longer reads as a converged Pi', async () => {
    const r = recording();
    // The same script, but an answer without nginx installed: the planner would install it.
    const stale = { ...r, answer: { ...r.answer, stdout: r.answer.stdout.replace(/^nginx\tii .*\n/m, '') } };
    expect(stale.answer.stdout).not.toBe(r.answer.stdout);
    const refusal = (await spawnSimFleet(2, { env: { CAMFLEET_SIM_RECORDING: writeRecording(stale) } }).then(
      () => undefined,
      (e: unknown) => e,
    )) as SimFleetRefused;
    expect(refusal.code).toBe(3);
    expect(refusal.stderr).toMatch(/no longer reads as a converged Pi.*install packages nginx/);
  });
});
