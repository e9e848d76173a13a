// What changed on a host between two observations: a saved plan is only applied to the host it
// was made for, as it was then. A service's process id is left out: a restart alone changes
// nothing the plan depends on.
import type { ObservedFile, ObservedState, ObservedUnit } from '../types.ts';

export function whatMoved(before: ObservedState, after: ObservedState): string[] {
  const moved: string[] = [];
  const was = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);
  if (was(before.os, after.os)) moved.push(`system: ${describeOs(before.os)} -> ${describeOs(after.os)}`);
  for (const name of keys(before.packages, after.packages)) {
    if (before.packages[name] !== after.packages[name]) moved.push(`package ${name}: ${installed(before.packages[name])} -> ${installed(after.packages[name])}`);
  }
  for (const path of keys(before.files, after.files)) {
    const change = fileChange(before.files[path], after.files[path]);
    if (change) moved.push(`file ${path}: ${change}`);
  }
  for (const name of keys(before.units, after.units)) {
    const change = unitChange(before.units[name], after.units[name]);
    if (change) moved.push(`unit ${name}: ${change}`);
  }
  if (before.camera !== after.camera) moved.push(`camera: ${before.camera ? 'present' : 'absent'} -> ${after.camera ? 'present' : 'absent'}`);
  if (was([...before.h264Encoders].sort(), [...after.h264Encoders].sort())) moved.push('ffmpeg: its H.264 encoders changed');
  if (was(before.pending, after.pending)) moved.push(`owed restarts: ${before.pending.length} -> ${after.pending.length}`);
  if (was([...(before.leftovers ?? [])].sort(), [...(after.leftovers ?? [])].sort()))
    moved.push(`files an unfinished run staged: ${(before.leftovers ?? []).length} -> ${(after.leftovers ?? []).length}`);
  for (const path of keys(before.dirs ?? {}, after.dirs ?? {})) {
    const [a, b] = [before.dirs?.[path], after.dirs?.[path]];
    if (!a !== !b) moved.push(`directory ${path}: ${a ? 'was removed' : 'appeared'}`);
    else if (was([...(a ?? [])].sort(), [...(b ?? [])].sort())) moved.push(`directory ${path}: what else it holds changed`);
  }
  if (before.sshInterface !== after.sshInterface) moved.push(`SSH arrives on: ${before.sshInterface ?? '?'} -> ${after.sshInterface ?? '?'}`);
  return moved;
}

const keys = (a: object, b: object) => [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
const installed = (v: boolean | undefined) => (v ? 'installed' : 'not installed');
const describeOs = (os: ObservedState['os']) => `${os.id} ${os.version} ${os.arch}`.trim();

function fileChange(a: ObservedFile | null | undefined, b: ObservedFile | null | undefined): string | undefined {
  if (!a && !b) return undefined;
  if (!a) return 'appeared';
  if (!b) return 'was removed';
  const changes = [
    ...(a.sha256 !== b.sha256 ? ['content changed'] : []),
    ...(a.mode !== b.mode ? [`mode ${a.mode.toString(8)} -> ${b.mode.toString(8)}`] : []),
    ...(a.owner !== b.owner || a.group !== b.group ? [`owner ${a.owner}:${a.group} -> ${b.owner}:${b.group}`] : []),
    ...(a.managed !== b.managed ? [b.managed ? 'now carries camfleet’s marker' : 'lost camfleet’s marker'] : []),
  ];
  return changes.length ? changes.join(', ') : undefined;
}

function unitChange(a: ObservedUnit | undefined, b: ObservedUnit | undefined): string | undefined {
  const state = (u: ObservedUnit | undefined) => (u ? `${u.enabled}/${u.active}` : 'unknown');
  return state(a) === state(b) ? undefined : `${state(a)} -> ${state(b)}`;
}
