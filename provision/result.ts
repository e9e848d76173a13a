// What running one host came to: the vocabulary shared by the per-host run (commands/provision-host.ts),
// the scheduler that runs many (rollout/) and what shows them (progress, summary, --json).
import type { ObservedState, Plan } from './types.ts';

/** `stale`: a saved plan refused, the host having changed since it was made. */
export type Outcome = 'ok' | 'changed' | 'pending' | 'failed' | 'unreachable' | 'skipped' | 'stale';

/** One applied step and how long it took. */
export interface StepReport {
  label: string;
  ms: number;
}

export interface HostResult {
  host: string;
  outcome: Outcome;
  plan?: Plan;
  observed?: ObservedState;
  steps: StepReport[];
  ms: number;
  /** Failure with its step and the remote stderr; secrets masked. */
  error?: { step: string; message: string };
}
