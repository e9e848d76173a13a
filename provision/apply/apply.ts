// Execute a plan over one connection: one loop over its steps, in its order, each step one script
// on the host (step-runners.ts). The plan says everything (core/plan/plan.ts): the SSH guard,
// staging each file, the commit that swaps them all in (nothing half-written: a file that fails
// validation leaves every file as it was), the units, the owed-restarts note, the final check, and
// the health gate: a camera Pi whose stream does not come back LIVE rolls its commit back by itself
// (rollback.ts).
import { ConnectionLost, HostError } from '../transport/host-error.ts';
import type { Remote } from '../transport/remote.ts';
import type { Plan, Step } from '../core/types.ts';
import { describeStep } from '../core/plan/describe.ts';
import { rollBack, type Gate } from './rollback.ts';
import { runContext, type RunContext } from './run-context.ts';
import * as sh from './scripts.ts';
import { stepRunners } from './step-runners.ts';

export type Progress = (label: string) => void;

/** One applied step and how long it took. */
export interface StepReport {
  label: string;
  ms: number;
}

export async function applyPlan(remote: Remote, plan: Plan, progress: Progress = () => {}): Promise<StepReport[]> {
  const ctx = runContext(remote);
  const reports: StepReport[] = [];
  const commitAt = plan.steps.findIndex((s) => s.kind === 'commit-files');
  const gate = plan.steps.find((s): s is Gate => s.kind === 'health-gate');
  let at = 0;
  try {
    for (const [i, step] of plan.steps.entries()) {
      at = i;
      const label = describeStep(step);
      progress(label);
      const start = performance.now();
      await carryOut(step, ctx);
      reports.push({ label, ms: Math.round(performance.now() - start) });
    }
  } catch (e) {
    // Staged but never committed: nothing reads these, remove them (if the host can still be reached).
    const { staged } = ctx.staging;
    if (staged.size) await remote.run(sh.discardScript([...staged.values()])).catch(() => undefined);
    if (e instanceof ConnectionLost) throw e.leaving(stateAfterLoss(commitAt, at));
    // After the commit, a failed restart, verify or health gate takes the Pi back to its old files.
    if (e instanceof HostError && gate && typeof gate.rollback !== 'string' && commitAt !== -1 && at > commitAt) throw await rollBack(remote, gate, gate.rollback, e, progress);
    throw e;
  }
  return reports;
}

const carryOut = <S extends Step>(step: S, ctx: RunContext) => (stepRunners[step.kind] as (step: S, ctx: RunContext) => Promise<unknown>)(step, ctx);

/** What a connection lost at step `at` leaves on the Pi, told by where the commit stands (-1: the plan has none). */
function stateAfterLoss(commitAt: number, at: number): string {
  if (commitAt === -1) return 'This plan writes no new file (it has no commit): no file camfleet manages was replaced';
  if (at < commitAt) return 'The commit had not happened: no file camfleet manages was replaced, the Pi runs its old config, and the next run removes what was staged';
  if (at === commitAt)
    return 'It was cut off in the commit itself: each file is whole, the old or the new one, and the restarts the new ones owe were noted on the Pi first, so the next run carries them out';
  return 'The commit had happened: the new files are in place; any restart they still owe is noted on the Pi and the next run carries it out (a health gate cut off here is not run again: the files are in sync then)';
}

export { RolledBack } from './rollback.ts';
