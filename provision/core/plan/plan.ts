// Desired vs observed -> the ordered steps that converge a host. Pure: this is what --check
// prints, what --json emits, and exactly what apply executes.
import { hotspotPaths, hotspotUnits, isUnitFile } from '../render/paths.ts';
import type { DesiredState, ObservedState, Plan, Step } from '../types.ts';
import { planFiles } from './files.ts';
import { planUnits } from './units.ts';

export function makePlan(desired: DesiredState, observed: ObservedState, oldContents: Record<string, string> = {}): Plan {
  const missing = desired.packages.filter((p) => !observed.packages[p]);
  const fileSteps = planFiles(desired, observed, oldContents);
  const units = planUnits(desired, observed, fileSteps);
  const steps: Step[] = [
    // What an unfinished run staged and never committed goes first: nothing reads it.
    ...(observed.leftovers?.length ? [{ kind: 'remove-leftovers' as const, paths: observed.leftovers }] : []),
    ...(missing.length ? [{ kind: 'install-packages' as const, packages: missing }] : []),
    ...fileSteps.filter((s) => s.kind === 'write-file'),
    ...units.stop,
    ...fileSteps.filter((s) => s.kind === 'remove-file'),
    ...units.start,
  ];
  // Removing a unit file also needs systemd to forget it.
  if (fileSteps.some((s) => s.kind === 'remove-file' && isUnitFile(s.path)) && !steps.some((s) => s.kind === 'daemon-reload')) {
    const firstStart = steps.findIndex((s) => units.start.includes(s));
    steps.splice(firstStart === -1 ? steps.length : firstStart, 0, { kind: 'daemon-reload' });
  }
  const cutsOffSsh = sshCutOff(desired, observed, steps);
  return {
    host: desired.host,
    steps,
    warnings: [...warnings(desired, observed), ...(cutsOffSsh ? [cutsOffSsh] : [])],
    ...(cutsOffSsh ? { cutsOffSsh } : {}),
    verify: { units: desired.units.filter((u) => u.active).map((u) => u.name), ports: [...desired.listen] },
  };
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
