// What camfleet's exit status means, for operators and for monitoring (like terraform -detailed-exitcode).
export const exitCodes = {
  /** Done: in sync, or every change applied. */
  ok: 0,
  /** A step failed on at least one host. */
  failed: 1,
  /** Bad command line or bad inventory; nothing was touched. */
  usage: 2,
  /** `--check`: changes are pending (drift). */
  changesPending: 3,
  /** At least one host could not be reached. Combined with failed as bits: 5 = both. */
  unreachable: 4,
  /** Interrupted by the operator. */
  interrupted: 130,
} as const;
