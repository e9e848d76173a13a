// Which of a plan's steps are changes to the host and which are how the changes land safely (the
// SSH cut-off guard, the lock against a second run at once, the commit that swaps staged files in, clearing the owed-restarts note, the
// final check and the health gate). A plan's "N changes" counts only the first kind; a plan with none is in sync.
import type { Plan, Step } from '../types.ts';

/** Every kind of step, with whether it changes the host: a saved plan naming another is refused. */
export const stepKinds: Record<Step['kind'], { change: boolean }> = {
  'guard-ssh': { change: false },
  lock: { change: false },
  'remove-leftovers': { change: true },
  'install-packages': { change: true },
  'write-file': { change: true },
  'commit-files': { change: false },
  'remove-file': { change: true },
  'remove-dir': { change: true },
  'daemon-reload': { change: true },
  unmask: { change: true },
  enable: { change: true },
  disable: { change: true },
  start: { change: true },
  stop: { change: true },
  restart: { change: true },
  reload: { change: true },
  'clear-pending': { change: false },
  verify: { change: false },
  'health-gate': { change: false },
};

export function isChange(step: Step): boolean {
  return stepKinds[step.kind].change;
}

/** How many of the plan's steps change the host: 0 means in sync. */
export function changeCount(plan: Plan): number {
  return plan.steps.filter(isChange).length;
}
