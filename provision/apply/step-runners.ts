// How each kind of step is carried out on the host: one script each, over the run's connection.
// Keyed by every kind core/plan/step-kinds.ts knows: a new kind fails to compile until it is here.
import { ConnectionLost, HostError } from '../transport/host-error.ts';
import type { ManagedFile } from '../core/types.ts';
import { describeStep } from '../core/plan/describe.ts';
import type { StepKind, StepOf } from '../core/plan/step-kinds.ts';
import type { RunContext } from './run-context.ts';
import * as sh from './scripts.ts';

type Runner<K extends StepKind> = (step: StepOf<K>, ctx: RunContext) => Promise<unknown>;

/** systemctl <kind> <unit>, the step's own words as its label. */
const systemctl = (step: StepOf<'start' | 'stop' | 'restart'>, ctx: RunContext) => ctx.run(describeStep(step), sh.systemctlScript(step.kind, step.unit));
/** The same for unit-file changes, without systemd's reload: the plan's one daemon-reload follows them (core/plan/units.ts). */
const unitFile = (step: StepOf<'unmask' | 'enable' | 'disable'>, ctx: RunContext) => ctx.run(describeStep(step), sh.systemctlScript(step.kind, step.unit, { noReload: true }));

export const stepRunners: { [K in StepKind]: Runner<K> } = {
  'guard-ssh': async (step, ctx) => {
    throw new HostError(ctx.remote.host, 'safety check', step.reason);
  },
  lock: (step, ctx) => lock(ctx, step.path),
  'remove-leftovers': (step, ctx) => ctx.run('remove staging leftovers', sh.discardScript(step.paths)),
  'install-packages': (step, ctx) => ctx.run(describeStep(step), sh.installPackagesScript(step.packages)),
  'write-file': async (step, ctx) => {
    if (step.action === 'metadata') ctx.staging.metadata.set(step.path, step.file);
    else await stage(ctx, step.file);
  },
  'commit-files': async (step, ctx) => {
    const { staged, metadata } = ctx.staging;
    const moves = step.paths.flatMap((path) => {
      const tmp = staged.get(path);
      return tmp === undefined ? [] : [{ staged: tmp, path }];
    });
    const metadataOnly = step.paths.flatMap((path) => metadata.get(path) ?? []);
    const missing = step.paths.filter((p) => !staged.has(p) && !metadata.has(p));
    if (missing.length) throw new HostError(ctx.remote.host, 'commit files', `the plan commits ${missing.join(', ')} without a write-file step before it: nothing was swapped in`);
    // Handed over: from here the commit owns them, a failure no longer discards them.
    staged.clear();
    metadata.clear();
    await ctx.run('commit files', sh.commitScript(moves, metadataOnly, step.owed, step.note, step.keepPrevious));
  },
  'remove-file': (step, ctx) => ctx.run(describeStep(step), sh.removeFileScript(step.path)),
  'remove-dir': (step, ctx) => ctx.run(describeStep(step), sh.removeDirScript(step.path, step.files)),
  'daemon-reload': (step, ctx) => ctx.run(describeStep(step), sh.systemctlScript('daemon-reload')),
  unmask: unitFile,
  enable: unitFile,
  disable: unitFile,
  start: systemctl,
  stop: systemctl,
  restart: systemctl,
  // Reloads a running service, starts a stopped one: either way the new config is live.
  reload: (step, ctx) => ctx.run(describeStep(step), sh.systemctlScript('reload-or-restart', step.unit)),
  'clear-pending': (step, ctx) => ctx.run('clear pending restarts', sh.clearPendingScript(step.note)),
  verify: async (step, ctx) => {
    const r = await ctx.exec('verify', sh.verifyScript(step.units, step.ports));
    if (r.code !== 0) throw new HostError(ctx.remote.host, 'verify', 'services are not all up after apply', r.stderr);
  },
  // Failing, it throws; apply.ts then rolls the commit back (rollback.ts) unless the plan says why not.
  'health-gate': async (step, ctx) => {
    const r = await ctx.exec('health gate', sh.healthGateScript(step));
    if (r.code !== 0) throw new HostError(ctx.remote.host, 'health gate', `${(r.stderr || r.stdout).trim()}${typeof step.rollback === 'string' ? `; ${step.rollback}` : ''}`);
    // Passed: the previous versions the commit kept are not needed any more.
    if (typeof step.rollback !== 'string' && step.rollback.restore.length) await ctx.run('health gate', sh.discardScript(step.rollback.restore.map(sh.keptVersion)));
  },
};

/** Write the new content to a temp file beside its target; noted at once, so a failure from here on discards it. */
async function stage(ctx: RunContext, file: ManagedFile): Promise<void> {
  const step = `stage ${file.path}`;
  const r = await ctx.exec(step, sh.stageFileScript(file));
  if (r.code !== 0) throw new HostError(ctx.remote.host, step, `cannot write the new ${file.path} beside the old one: ${cause(r.stderr)}. ${nothingChanged}`, r.stderr);
  const tmp = r.stdout.trim();
  ctx.staging.staged.set(file.path, tmp);
  if (!file.validate) return;
  const v = await ctx.exec(`validate ${file.path}`, sh.validateScript(file.validate, tmp, file.path));
  if (v.code !== 0)
    throw new HostError(ctx.remote.host, `validate ${file.path}`, `the new ${file.path} is rejected by ${sh.validators[file.validate]}. ${nothingChanged}`, (v.stderr || v.stdout).replaceAll(tmp, file.path));
}

const nothingChanged = 'Nothing was changed: every file on the Pi stays as it was';

/** Take the Pi's lock for the rest of this run (released when its connection ends), or refuse: another run is changing the Pi. */
async function lock(ctx: RunContext, path: string): Promise<void> {
  if (ctx.locks.has(path)) return;
  let taken;
  try {
    taken = await ctx.remote.hold(sh.lockScript(path));
  } catch (e) {
    throw e instanceof ConnectionLost ? e.during('lock') : e;
  }
  if (taken.held) {
    ctx.locks.add(path);
    return;
  }
  const { code, signal, stderr } = taken.result;
  // lock.sh says who holds it: "from <operator's address> since <time>".
  const who = stderr.trim().split('\n')[0];
  if (code === sh.lockHeld)
    throw new HostError(ctx.remote.host, 'lock', `another camfleet run holds this Pi${who ? ` (${who})` : ''}: its lock ${path} is taken, so nothing was changed. Run again once that run has finished`);
  throw new HostError(ctx.remote.host, 'lock', `cannot take the lock ${path}: ${code === null ? `killed by ${signal}` : `exited with status ${code}`}`, stderr);
}

/** The gist of a failed shell command: its last line's last clause ("No space left on device"). */
function cause(stderr: string): string {
  const last = stderr.trim().split('\n').at(-1) ?? '';
  return last.split(': ').at(-1)?.trim() || 'the command failed';
}
