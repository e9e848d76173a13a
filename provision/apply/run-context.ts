// What one applied plan carries from step to step: the connection, the files staged and not yet
// committed, and the locks held. Made per plan by apply.ts; the step runners (step-runners.ts) get it.
import { ConnectionLost, HostError } from '../transport/host-error.ts';
import type { Remote } from '../transport/remote.ts';
import type { ManagedFile } from '../core/types.ts';

/** What the write-file steps leave for the commit-files step after them. */
export interface Staging {
  /** Target path -> the temp file beside it holding the new content. */
  staged: Map<string, string>;
  /** Target path -> the file whose mode or owner alone changes. */
  metadata: Map<string, ManagedFile>;
}

export interface RunContext {
  remote: Remote;
  staging: Staging;
  /** The locks this connection holds (a second plan applied over one connection, as tests do, already holds them). */
  locks: Set<string>;
  /** Run one step's script; a non-zero exit is that step's HostError. Resolves to its stdout. */
  run(step: string, script: string): Promise<string>;
  /** Run one step's script and hand back its result, whatever its exit; a lost connection is reported against the step. */
  exec(step: string, script: string): ReturnType<Remote['run']>;
}

/** A lock lives as long as its connection: held locks are kept per connection, not per plan. */
const heldLocks = new WeakMap<Remote, Set<string>>();

export function runContext(remote: Remote): RunContext {
  const locks = heldLocks.get(remote) ?? new Set<string>();
  heldLocks.set(remote, locks);
  const exec = async (step: string, script: string) => {
    try {
      return await remote.run(script);
    } catch (e) {
      throw e instanceof ConnectionLost ? e.during(step) : e;
    }
  };
  const run = async (step: string, script: string) => {
    const r = await exec(step, script);
    if (r.code !== 0) throw new HostError(remote.host, step, r.code === null ? `was killed by ${r.signal}` : `exited with status ${r.code}`, r.stderr || r.stdout);
    return r.stdout;
  };
  return { remote, staging: { staged: new Map(), metadata: new Map() }, locks, run, exec };
}
