// Which of a plan's steps are changes to the host (step-kinds.ts says, kind by kind): a plan's
// "N changes" counts only those; a plan with none is in sync.
import type { Plan, Step } from '../types.ts';
import { stepKinds } from './step-kinds.ts';

export { stepKinds } from './step-kinds.ts';

export const isChange = (step: Step): boolean => stepKinds[step.kind].change;

/** How many of the plan's steps change the host: 0 means in sync. */
export function changeCount(plan: Plan): number {
  return plan.steps.filter(isChange).length;
}
