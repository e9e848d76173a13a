// Desired vs observed -> every step that converges a host, in order. Pure: this is what --check
// prints, what --json emits, what --plan-out saves, and exactly what apply executes, step by step:
//
//   guard-ssh          only if applying would cut off this SSH connection (and it is not allowed)
//   lock               no other camfleet run changes the Pi until this one ends
//   remove-leftovers   what an unfinished run staged and never committed
//   install-packages
//   write-file ...     each new file staged (and validated) beside its target
//   commit-files       all of them swapped in at once, after noting the restarts they owe
//   stop, disable ...  units camfleet wants off, before their files go
//   remove-file ...
//   unmask, enable ...  each without systemd's own reload (units.ts), then one daemon-reload
//   restart/reload/start ...
//   remove-dir ...     directories left behind, once the services that filled them are reconfigured
//   clear-pending      the owed restarts are done
//   verify             units active, ports listening
//   health-gate        a camera Pi's stream LIVE at >= 90% of its fps for the settle time, or
//                      roll the commit back (the previous files it kept) and check again
//
// A host in sync gets no steps at all, so no gate either.
import { hotspotPaths, hotspotUnits, paths } from '../render/paths.ts';
import type { DesiredState, ObservedState, OwedAction, Plan, Step } from '../types.ts';
import { healthGate } from './gate.ts';
import { planFiles } from './files.ts';
import { planUnits } from './units.ts';
import { libcameraSeen, libcameraWarnings } from './libcamera-warnings.ts';

export interface PlanOptions {
  /** The operator accepts that applying may cut off the SSH connection it runs over (--allow-ssh-cutoff). */
  allowSshCutoff?: boolean;
  /** The health gate's settle and start-up times, and --no-rollback (gate.ts). */
  settleSeconds?: number;
  startupSeconds?: number;
  noRollback?: boolean;
}

export function makePlan(desired: DesiredState, observed: ObservedState, oldContents: Record<string, string> = {}, options: PlanOptions = {}): Plan {
  const missing = desired.packages.filter((p) => !observed.packages[p]);
  const fileSteps = planFiles(desired, observed, oldContents);
  const units = planUnits(desired, observed, fileSteps);
  const writes = fileSteps.filter((s) => s.kind === 'write-file');
  const before: Step[] = [
    // What an unfinished run staged and never committed goes first: nothing reads it.
    ...(observed.leftovers?.length ? [{ kind: 'remove-leftovers' as const, paths: observed.leftovers }] : []),
    ...(missing.length ? [{ kind: 'install-packages' as const, packages: missing }] : []),
    ...writes,
  ];
  const removals = fileSteps.filter((s) => s.kind === 'remove-file');
  // Folders go last: after the files in them, and after the restart of the service that wrote
  // into them (nginx, HLS): until then its running worker may write the folder straight back. A
  // restart, not a reload, is what any change to nginx.conf gets (render's restartOn), and the HLS
  // folder only goes with such a change.
  const after: Step[] = [...units.stop, ...removals, ...units.start, ...planDirs(desired, observed, removals)];
  const changes = [...before, ...after];
  const found = warnings(desired, observed);
  const seen = libcameraSeen(desired, observed);
  if (changes.length === 0) return { host: desired.host, steps: [], warnings: found, ...seen };

  const cutsOffSsh = sshCutOff(desired, observed, changes);
  const owed: OwedAction[] = after.flatMap((s) => (s.kind === 'restart' || s.kind === 'reload' ? [{ action: s.kind, unit: s.unit }] : []));
  const gate = healthGate(desired, writes, owed, options);
  const keepPrevious = gate !== undefined && typeof gate.rollback !== 'string';
  const steps: Step[] = [
    ...(cutsOffSsh && !options.allowSshCutoff ? [{ kind: 'guard-ssh' as const, interface: observed.sshInterface!, reason: cutsOffSsh }] : []),
    { kind: 'lock', path: paths.runLock },
    ...before,
    ...(writes.length ? [{ kind: 'commit-files' as const, paths: writes.map((w) => w.path), owed, note: paths.pendingRestarts, ...(keepPrevious ? { keepPrevious } : {}) }] : []),
    ...after,
    ...(owed.length ? [{ kind: 'clear-pending' as const, note: paths.pendingRestarts }] : []),
    { kind: 'verify', units: desired.units.filter((u) => u.active).map((u) => u.name), ports: [...desired.listen] },
    ...(gate ? [gate] : []),
  ];
  // Allowed to go ahead, the operator is still told the connection will drop.
  return { host: desired.host, steps, warnings: [...found, ...(cutsOffSsh && options.allowSshCutoff ? [cutsOffSsh] : [])], ...seen };
}

/**
 * Directories that must go and are there, holding nothing but what goes with them or what this
 * plan removes.
 */
function planDirs(desired: DesiredState, observed: ObservedState, removals: readonly { path: string }[]): Step[] {
  const removed = new Set(removals.map((s) => s.path));
  return (desired.absentDirs ?? [])
    .filter((d) => observed.dirs?.[d.path]?.every((entry) => removed.has(entry)))
    .map((d) => ({ kind: 'remove-dir', path: d.path, files: [...d.files] }));
}

/**
 * Provisioning the hotspot over the very Wi-Fi interface the hotspot takes over would drop this
 * SSH connection halfway through. Say so before anything is applied.
 */
function sshCutOff(desired: DesiredState, observed: ObservedState, steps: Step[]): string | undefined {
  if (desired.hotspot.mode === 'none' || !observed.sshInterface || observed.sshInterface !== desired.hotspot.interface) return undefined;
  const touchesHotspot = steps.some((s) => ('path' in s && hotspotPaths.includes(s.path)) || ('unit' in s && hotspotUnits.includes(s.unit)));
  if (!touchesHotspot) return undefined;
  return (
    `this SSH connection runs over ${observed.sshInterface}, the interface the hotspot takes over: applying would cut it off ` +
    `mid-run. Connect over another interface (Ethernet), or pass --allow-ssh-cutoff to go ahead and reconnect over the hotspot.`
  );
}

/** What the operator should know though no step fixes it. */
function warnings(desired: DesiredState, observed: ObservedState): string[] {
  const out: string[] = [];
  if (!observed.camera) out.push('camera device not found: the streamer will wait for it');
  out.push(...libcameraWarnings(desired, observed));
  if (desired.camera.encoder === 'h264_v4l2m2m' && observed.packages.ffmpeg && !observed.h264Encoders.includes('h264_v4l2m2m'))
    out.push('ffmpeg on this host offers no h264_v4l2m2m encoder (a Pi 5 has none): use encoder auto or libx264');
  return out;
}

/** Files whose old content a diff needs: present on the host but different. */
export function filesNeedingContent(desired: DesiredState, observed: ObservedState): string[] {
  return planFiles(desired, observed)
    .filter((s) => s.kind === 'write-file' && s.action === 'update')
    .map((s) => s.path);
}
