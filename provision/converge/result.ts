// What running one host came to: what the per-host run (provision-host.ts) returns, what the
// scheduler (rollout/, generic over it) collects, and what the CLI shows (progress, summary, --json).
import type { StepReport } from '../apply/apply.ts';
import type { ObservedState, Plan } from '../core/types.ts';

/**
 * `stale`: a saved plan refused, the host having changed since it was made. `rolled back`: the
 * health gate failed and the Pi went back to its previous files (a failure, for the budget too).
 */
export type Outcome = 'ok' | 'changed' | 'pending' | 'failed' | 'rolled back' | 'unreachable' | 'skipped' | 'stale';

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
