// The rules for numeric flags, one set for every command: `status --parallel 0` is refused exactly
// as `provision --parallel 0` is, never quietly turned into a default.
import { UsageError } from '../core/errors.ts';

/** A whole number from `min` (1 unless said) to `max`; the command's default when the flag is absent. */
export function countFlag(flag: string, text: string | undefined, fallback: number, max: number, min = 1): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, not '${text}'`);
  return Number(text);
}

/** Hosts at once, for any command that reaches many. */
export const parallelFlag = (text: string | undefined, fallback: number): number => countFlag('--parallel', text, fallback, 10_000);

/**
 * `--max-failures N|P%`: checked at once, sized when the selection's host count is known
 * (`3` -> 3; `20%` of 10 hosts -> 2). Absent: no limit.
 */
export function failureBudgetFlag(text: string | undefined): ((hostCount: number) => number) | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)(%?)$/.exec(text);
  // More than all of the hosts is a typo, not a budget.
  if (!m || (m[2] && Number(m[1]) > 100)) throw new UsageError(`--max-failures takes a count or a percentage from 0% to 100%, not '${text}'`);
  const n = Number(m[1]);
  return m[2] ? (hostCount) => Math.floor((n * hostCount) / 100) : () => n;
}
