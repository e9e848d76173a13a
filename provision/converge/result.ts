// What running one host came to: what the per-host run (provision-host.ts) returns, what the
// scheduler (rollout/, generic over it) collects, and what the CLI shows (progress, summary, --json).
import type { StepReport } from '../apply/apply.ts';
import type { ObservedState, Plan } from '../core/types.ts';

/** `stale`: a saved plan refused, the host having changed since it was made. */
export type Outcome = 'ok' | 'changed' | 'pending' | 'failed' | 'unreachable' | 'skipped' | 'stale';

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
