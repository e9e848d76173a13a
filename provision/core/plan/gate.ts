// The health gate a camera Pi's plan ends with when anything changes, and what undoes the commit
// if it fails: files it replaced come back (the commit keeps their previous versions), files it
// created go, and what the change restarted restarts again. Pure; small, so the CLI reads its
// defaults without loading the planner.
import { isUnitFile, paths } from '../render/paths.ts';
import type { DesiredState, OwedAction, Rollback, Step } from '../types.ts';

export const defaultSettleSeconds = 10;
/** The stream must reach the configured rate within 10% (a loaded Pi drops a frame now and then). */
export const minFpsShare = 0.9;
/**
 * Beyond the settle time, what the stream gets by default to come up after the restarts (encoder
 * probe, first frame); --health-startup gives a slow Pi more.
 */
export const gateStartupSeconds = 30;
/** A camera device missing this long after the restarts fails the gate without waiting out the rest. */
export const missingDeviceGraceSeconds = 10;

type WriteStep = Extract<Step, { kind: 'write-file' }>;

/**
 * The health gate of a camera Pi that changes, with what undoes the commit if it fails: files it
 * replaced come back, files it created go, and what the change restarted restarts again.
 */
export function healthGate(desired: DesiredState, writes: readonly WriteStep[], owed: readonly OwedAction[], options: { settleSeconds?: number; startupSeconds?: number; noRollback?: boolean }): Extract<Step, { kind: 'health-gate' }> | undefined {
  if (!desired.health) return undefined;
  const { fps, statPort, application } = desired.health;
  const settleSeconds = options.settleSeconds ?? defaultSettleSeconds;
  const swapped = writes.filter((w) => w.action !== 'metadata');
  const rollback: Rollback | string = options.noRollback
    ? 'not rolled back (--no-rollback): a failed gate leaves the new files in place'
    : swapped.some((w) => w.path === paths.streamerConfig && w.action === 'create')
      ? 'nothing to roll back to (a first install: no previous streamer config)'
      : !swapped.length
        ? 'nothing to roll back (this change replaces no file)'
        : {
            restore: swapped.filter((w) => w.action === 'update').map((w) => w.path),
            remove: swapped.filter((w) => w.action === 'create').map((w) => w.path),
            daemonReload: swapped.some((w) => isUnitFile(w.path)),
            // A unit this change created goes with its file: there is nothing of it to restart.
            restarts: owed.filter((o) => !swapped.some((w) => w.action === 'create' && isUnitFile(w.path) && w.path.endsWith(`/${o.unit}`))),
            note: paths.pendingRestarts,
          };
  return {
    kind: 'health-gate',
    fps,
    minFps: Math.round(fps * minFpsShare * 10) / 10,
    settleSeconds,
    timeoutSeconds: settleSeconds + (options.startupSeconds ?? gateStartupSeconds),
    statPort,
    application,
    rollback,
  };
}
