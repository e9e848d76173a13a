// Undoing a commit whose health gate failed (or whose restart or verify did): the commit kept the
// previous version of every file it replaced beside it, so the way back is renames, then the same
// restarts, then the same gate. apply.ts calls it when a plan with a gate fails after its commit.
import { ConnectionLost, HostError } from '../transport/host-error.ts';
import type { Remote } from '../transport/remote.ts';
import type { Rollback, Step } from '../core/types.ts';
import { runContext } from './run-context.ts';
import * as sh from './scripts.ts';

export type Gate = Extract<Step, { kind: 'health-gate' }>;

/** The health gate failed (or a step after the commit did) and the commit was rolled back: counts as a failure. */
export class RolledBack extends HostError {
  constructor(host: string, message: string, stderr = '') {
    super(host, 'health gate', message, stderr);
    this.name = 'RolledBack';
  }
}

/**
 * Undo the commit (rollback.sh: note the restarts, rename the kept versions back, remove what it
 * created, daemon-reload, restart), then hold the stream to the same gate again. Returns the error
 * to report: RolledBack, saying why and whether the stream is LIVE again.
 */
export async function rollBack(remote: Remote, gate: Gate, rollback: Rollback, failure: HostError, progress: (label: string) => void): Promise<HostError> {
  const reason = failure.step === 'health gate' ? failure.message : `${failure.step}: ${failure.message}${failure.stderr.trim() ? ` (${failure.stderr.trim().split('\n')[0]})` : ''}`;
  const { exec } = runContext(remote);
  const started = performance.now();
  const what = `${rollback.restore.length} file(s) restored, ${rollback.remove.length} created file(s) removed${rollback.restarts.length ? `, ${rollback.restarts.map((r) => r.unit).join(' ')} restarted` : ''}`;
  try {
    progress(`roll back: ${what}`);
    const r = await exec('roll back', sh.rollbackScript(rollback));
    if (r.code !== 0) return new HostError(remote.host, 'roll back', `${reason}. Rolling back failed too; the restarts it owes are noted on the Pi, the next run carries them out`, [r.stderr.trim(), failure.stderr.trim()].filter(Boolean).join('\n'));
    progress('health gate after the rollback');
    const again = await exec('health gate after the rollback', sh.healthGateScript(gate));
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    // What the failure said (a unit's journal lines, say) stays in the report, after the gate's own
    // words: a report shows the last lines, and those are the ones that say why.
    const said = (gateSaid: string) => [gateSaid.trim(), failure.stderr.trim()].filter(Boolean).join('\n');
    return again.code === 0
      ? new RolledBack(remote.host, `${reason}. Rolled back (${what}): the stream is LIVE again with the old files ${seconds} s after the rollback began`, said(again.stdout))
      : new RolledBack(remote.host, `${reason}. Rolled back (${what}), but the stream is still not LIVE with the old files`, said(again.stderr || again.stdout));
  } catch (e) {
    if (e instanceof ConnectionLost)
      return e.leaving(
        `${reason}. It was cut off while rolling back: the restarts the rollback owes were noted on the Pi first and each file is the old or the new one, ` +
          'so the next run carries them out and plans the files against the inventory again, health gate included',
      );
    throw e;
  }
}
