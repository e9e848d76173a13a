// Execute a plan over one connection: one loop over its steps, in its order, each step one script
// on the host. The plan says everything (core/plan/plan.ts): the SSH guard, staging each file,
// the commit that swaps them all in (nothing half-written: a file that fails validation leaves
// every file as it was), the units, the owed-restarts note, the final check, and the health gate:
// a camera Pi whose stream does not come back LIVE rolls its commit back by itself (rollBack).
import { ConnectionLost, HostError } from '../transport/host-error.ts';
import type { Remote } from '../transport/remote.ts';
import type { ManagedFile, Plan, Rollback, Step } from '../core/types.ts';
import { describeStep } from '../core/plan/describe.ts';
import * as sh from './scripts.ts';

export type Progress = (label: string) => void;

/** One applied step and how long it took. */
export interface StepReport {
  label: string;
  ms: number;
}

type Run = (step: string, script: string) => Promise<string>;
type Gate = Extract<Step, { kind: 'health-gate' }>;

/** The health gate failed (or a step after the commit did) and the commit was rolled back: counts as a failure. */
export class RolledBack extends HostError {
  constructor(host: string, message: string, stderr = '') {
    super(host, 'health gate', message, stderr);
    this.name = 'RolledBack';
  }
}

/** What the write-file steps leave for the commit-files step after them. */
interface Staging {
  /** Target path -> the temp file beside it holding the new content. */
  staged: Map<string, string>;
  /** Target path -> the file whose mode or owner alone changes. */
  metadata: Map<string, ManagedFile>;
}

export async function applyPlan(remote: Remote, plan: Plan, progress: Progress = () => {}): Promise<StepReport[]> {
  const reports: StepReport[] = [];
  const run: Run = async (step, script) => {
    const r = await exec(remote, step, script);
    if (r.code !== 0) throw new HostError(remote.host, step, r.code === null ? `was killed by ${r.signal}` : `exited with status ${r.code}`, r.stderr || r.stdout);
    return r.stdout;
  };
  const staging: Staging = { staged: new Map(), metadata: new Map() };
  const commitAt = plan.steps.findIndex((s) => s.kind === 'commit-files');
  const gate = plan.steps.find((s): s is Gate => s.kind === 'health-gate');
  let at = 0;
  try {
    for (const [i, step] of plan.steps.entries()) {
      at = i;
      const label = describeStep(step);
      progress(label);
      const start = performance.now();
      await carryOut(remote, step, run, staging);
      reports.push({ label, ms: Math.round(performance.now() - start) });
    }
  } catch (e) {
    // Staged but never committed: nothing reads these, remove them (if the host can still be reached).
    if (staging.staged.size) await remote.run(sh.discardScript([...staging.staged.values()])).catch(() => undefined);
    if (e instanceof ConnectionLost) throw e.leaving(stateAfterLoss(commitAt, at));
    // After the commit, a failed restart, verify or health gate takes the Pi back to its old files.
    if (e instanceof HostError && gate && typeof gate.rollback !== 'string' && commitAt !== -1 && at > commitAt) throw await rollBack(remote, gate, gate.rollback, e, progress);
    throw e;
  }
  return reports;
}

/**
 * Undo the commit (rollback.sh: note the restarts, rename the kept versions back, remove what it
 * created, daemon-reload, restart), then hold the stream to the same gate again. Returns the error
 * to report: RolledBack, saying why and whether the stream is LIVE again.
 */
async function rollBack(remote: Remote, gate: Gate, rollback: Rollback, failure: HostError, progress: Progress): Promise<HostError> {
  const reason = failure.step === 'health gate' ? failure.message : `${failure.step}: ${failure.message}${failure.stderr.trim() ? ` (${failure.stderr.trim().split('\n')[0]})` : ''}`;
  const started = performance.now();
  const what = `${rollback.restore.length} file(s) restored, ${rollback.remove.length} created file(s) removed${rollback.restarts.length ? `, ${rollback.restarts.map((r) => r.unit).join(' ')} restarted` : ''}`;
  try {
    progress(`roll back: ${what}`);
    const r = await exec(remote, 'roll back', sh.rollbackScript(rollback));
    if (r.code !== 0) return new HostError(remote.host, 'roll back', `${reason}. Rolling back failed too; the restarts it owes are noted on the Pi, the next run carries them out`, r.stderr);
    progress('health gate after the rollback');
    const again = await exec(remote, 'health gate after the rollback', sh.healthGateScript(gate));
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    return again.code === 0
      ? new RolledBack(remote.host, `${reason}. Rolled back (${what}): the stream is LIVE again with the old files ${seconds} s after the rollback began`, again.stdout)
      : new RolledBack(remote.host, `${reason}. Rolled back (${what}), but the stream is still not LIVE with the old files`, again.stderr || again.stdout);
  } catch (e) {
    if (e instanceof ConnectionLost)
      return e.leaving(
        `${reason}. It was cut off while rolling back: the restarts the rollback owes were noted on the Pi first and each file is the old or the new one, ` +
          'so the next run carries them out and plans the files against the inventory again, health gate included',
      );
    throw e;
  }
}

/** What a connection lost at step `at` leaves on the Pi, told by where the commit stands (-1: the plan has none). */
function stateAfterLoss(commitAt: number, at: number): string {
  if (commitAt === -1) return 'This plan writes no new file (it has no commit): no file camfleet manages was replaced';
  if (at < commitAt) return 'The commit had not happened: no file camfleet manages was replaced, the Pi runs its old config, and the next run removes what was staged';
  if (at === commitAt)
    return 'It was cut off in the commit itself: each file is whole, the old or the new one, and the restarts the new ones owe were noted on the Pi first, so the next run carries them out';
  return 'The commit had happened: the new files are in place; any restart they still owe is noted on the Pi and the next run carries it out (a health gate cut off here is not run again: the files are in sync then)';
}

async function carryOut(remote: Remote, step: Step, run: Run, staging: Staging): Promise<void> {
  switch (step.kind) {
    case 'guard-ssh':
      throw new HostError(remote.host, 'safety check', step.reason);
    case 'lock':
      await lock(remote, step.path);
      return;
    case 'remove-leftovers':
      await run('remove staging leftovers', sh.discardScript(step.paths));
      return;
    case 'install-packages':
      await run(describeStep(step), sh.installPackagesScript(step.packages));
      return;
    case 'write-file':
      if (step.action === 'metadata') staging.metadata.set(step.path, step.file);
      else await stage(remote, step.file, staging);
      return;
    case 'commit-files': {
      const moves = step.paths.flatMap((path) => {
        const staged = staging.staged.get(path);
        return staged === undefined ? [] : [{ staged, path }];
      });
      const metadata = step.paths.flatMap((path) => staging.metadata.get(path) ?? []);
      const missing = step.paths.filter((p) => !staging.staged.has(p) && !staging.metadata.has(p));
      if (missing.length) throw new HostError(remote.host, 'commit files', `the plan commits ${missing.join(', ')} without a write-file step before it: nothing was swapped in`);
      // Handed over: from here the commit owns them, a failure no longer discards them.
      staging.staged.clear();
      staging.metadata.clear();
      await run('commit files', sh.commitScript(moves, metadata, step.owed, step.note, step.keepPrevious));
      return;
    }
    case 'remove-file':
      await run(describeStep(step), sh.removeFileScript(step.path));
      return;
    case 'remove-dir':
      await run(describeStep(step), sh.removeDirScript(step.path, step.files));
      return;
    case 'daemon-reload':
      await run(describeStep(step), sh.systemctlScript('daemon-reload'));
      return;
    case 'reload':
      // Reloads a running service, starts a stopped one: either way the new config is live.
      await run(describeStep(step), sh.systemctlScript('reload-or-restart', step.unit));
      return;
    case 'unmask':
    case 'enable':
    case 'disable':
    case 'start':
    case 'stop':
    case 'restart':
      await run(describeStep(step), sh.systemctlScript(step.kind, step.unit));
      return;
    case 'clear-pending':
      await run('clear pending restarts', sh.clearPendingScript(step.note));
      return;
    case 'verify': {
      const r = await exec(remote, 'verify', sh.verifyScript(step.units, step.ports));
      if (r.code !== 0) throw new HostError(remote.host, 'verify', 'services are not all up after apply', r.stderr);
      return;
    }
    case 'health-gate': {
      const r = await exec(remote, 'health gate', sh.healthGateScript(step));
      if (r.code !== 0) throw new HostError(remote.host, 'health gate', `${(r.stderr || r.stdout).trim()}${typeof step.rollback === 'string' ? `; ${step.rollback}` : ''}`);
      // Passed: the previous versions the commit kept are not needed any more.
      if (typeof step.rollback !== 'string' && step.rollback.restore.length) await run('health gate', sh.discardScript(step.rollback.restore.map(sh.keptVersion)));
      return;
    }
  }
}

/** Write the new content to a temp file beside its target; noted at once, so a failure from here on discards it. */
async function stage(remote: Remote, file: ManagedFile, staging: Staging): Promise<void> {
  const step = `stage ${file.path}`;
  const r = await exec(remote, step, sh.stageFileScript(file));
  if (r.code !== 0) throw new HostError(remote.host, step, `cannot write the new ${file.path} beside the old one: ${cause(r.stderr)}. ${nothingChanged}`, r.stderr);
  const tmp = r.stdout.trim();
  staging.staged.set(file.path, tmp);
  if (!file.validate) return;
  const v = await exec(remote, `validate ${file.path}`, sh.validateScript(file.validate, tmp, file.path));
  if (v.code !== 0)
    throw new HostError(remote.host, `validate ${file.path}`, `the new ${file.path} is rejected by ${sh.validators[file.validate]}. ${nothingChanged}`, (v.stderr || v.stdout).replaceAll(tmp, file.path));
}

const nothingChanged = 'Nothing was changed: every file on the Pi stays as it was';

/** The locks each connection holds: a second plan applied over one connection (tests do) already holds it. */
const holding = new WeakMap<Remote, Set<string>>();

/** Take the Pi's lock for the rest of this run (released when its connection ends), or refuse: another run is changing the Pi. */
async function lock(remote: Remote, path: string): Promise<void> {
  const locks = holding.get(remote) ?? new Set<string>();
  if (locks.has(path)) return;
  let taken;
  try {
    taken = await remote.hold(sh.lockScript(path));
  } catch (e) {
    throw e instanceof ConnectionLost ? e.during('lock') : e;
  }
  if (taken.held) {
    holding.set(remote, locks.add(path));
    return;
  }
  const { code, signal, stderr } = taken.result;
  // lock.sh says who holds it: "from <operator's address> since <time>".
  const who = stderr.trim().split('\n')[0];
  if (code === sh.lockHeld)
    throw new HostError(remote.host, 'lock', `another camfleet run holds this Pi${who ? ` (${who})` : ''}: its lock ${path} is taken, so nothing was changed. Run again once that run has finished`);
  throw new HostError(remote.host, 'lock', `cannot take the lock ${path}: ${code === null ? `killed by ${signal}` : `exited with status ${code}`}`, stderr);
}

/** The gist of a failed shell command: its last line's last clause ("No space left on device"). */
function cause(stderr: string): string {
  const last = stderr.trim().split('\n').at(-1) ?? '';
  return last.split(': ').at(-1)?.trim() || 'the command failed';
}

/** Run one step's script; a connection lost meanwhile is reported against that step. */
async function exec(remote: Remote, step: string, script: string) {
  try {
    return await remote.run(script);
  } catch (e) {
    throw e instanceof ConnectionLost ? e.during(step) : e;
  }
}
