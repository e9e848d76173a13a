// Units, Ansible-handler style: a service restarts or reloads only when a file it depends on
// changed (or an interrupted run left that owed); otherwise it is only started if it is down.
// unmask, enable and disable run without systemd's own reload (apply runs them --no-reload): one
// daemon-reload after them all, before any start, does for every one of them what each would have
// done alone. A reload costs seconds on a small Pi (3 s under the VM lab Pi's emulation).
import { isUnitFile } from '../render/paths.ts';
import type { DesiredState, ObservedState, Step } from '../types.ts';
import type { FileStep } from './files.ts';

const enabledStates = new Set(['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated']);

export interface UnitSteps {
  /** Before files are removed: units camfleet wants off. */
  stop: Step[];
  /** After files are in place. */
  start: Step[];
}

export function planUnits(desired: DesiredState, observed: ObservedState, fileSteps: FileStep[]): UnitSteps {
  const changed = new Set(fileSteps.filter((s) => s.kind !== 'write-file' || s.action !== 'metadata').map((s) => s.path));
  const stop: Step[] = [];
  /** unmask and enable, before the one daemon-reload. */
  const install: Step[] = [];
  /** restart, reload and start, after it. */
  const start: Step[] = [];

  for (const unit of desired.units) {
    const seen = observed.units[unit.name] ?? { enabled: 'not-found', active: 'inactive', mainPid: 0 };
    if (!unit.enabled && !unit.active) {
      // Turning off what exists; a unit that was never installed needs nothing.
      if (seen.enabled === 'not-found') continue;
      if (seen.active === 'active' || seen.active === 'activating') stop.push({ kind: 'stop', unit: unit.name });
      if (enabledStates.has(seen.enabled) && seen.enabled !== 'static') stop.push({ kind: 'disable', unit: unit.name });
      continue;
    }
    // A package about to be installed may ship its unit masked (Debian's hostapd): unmask then too.
    if (unit.unmask && (seen.enabled === 'masked' || seen.enabled === 'not-found')) install.push({ kind: 'unmask', unit: unit.name });
    if (unit.enabled && !enabledStates.has(seen.enabled)) install.push({ kind: 'enable', unit: unit.name });

    const owed = observed.pending.filter((p) => p.unit === unit.name);
    const restartBecause = [...unit.restartOn.filter((p) => changed.has(p)), ...owed.filter((p) => p.action === 'restart').map(() => 'an interrupted run')];
    const reloadBecause = [...unit.reloadOn.filter((p) => changed.has(p)), ...owed.filter((p) => p.action === 'reload').map(() => 'an interrupted run')];
    if (!unit.active) continue;
    if (restartBecause.length) start.push({ kind: 'restart', unit: unit.name, because: restartBecause });
    else if (reloadBecause.length) start.push({ kind: 'reload', unit: unit.name, because: reloadBecause });
    else if (seen.active !== 'active') start.push({ kind: 'start', unit: unit.name });
  }
  // A unit file written or removed (systemd must forget it too), any unit-file change above, and
  // also when systemd still runs a unit's old file: a run cut off between its commit and its
  // daemon-reload leaves that, and the restart it owes would otherwise start the old definition.
  const stale = desired.units.some((u) => observed.units[u.name]?.needsReload);
  const reload = [...changed].some(isUnitFile) || install.length > 0 || stop.some((s) => s.kind === 'disable') || stale;
  return { stop, start: [...install, ...(reload ? [{ kind: 'daemon-reload' as const }] : []), ...start] };
}
