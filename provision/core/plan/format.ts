// How a plan reads: stable, diff-shaped lines (+ create, ~ change, - remove), and the same plan
// as JSON for machines. No secret ever reaches either: file diffs were masked when planned.
import type { Plan } from '../types.ts';
import { describeStep } from './describe.ts';
import { stepKinds } from './step-kinds.ts';
import { changeCount } from './steps.ts';
import { describeCameras } from './libcamera-warnings.ts';

export function formatPlan(plan: Plan, options: { diff?: boolean } = {}): string {
  const lines: string[] = [];
  const changes = changeCount(plan);
  if (plan.steps.length === 0) lines.push(`${plan.host}: in sync, nothing to do`);
  else lines.push(`${plan.host}: ${changes} change${changes === 1 ? '' : 's'} pending`);
  for (const step of plan.steps) {
    const mark = step.kind === 'write-file' && step.action === 'create' ? '+' : stepKinds[step.kind].mark;
    lines.push(`  ${mark} ${describeStep(step)}`);
    if (options.diff && step.kind === 'write-file' && step.diff) {
      lines.push(...step.diff.trimEnd().split('\n').map((l) => `      ${l}`));
    }
  }
  for (const w of plan.warnings) lines.push(`  ! ${w}`);
  if (plan.libcamera) for (const c of describeCameras(plan.libcamera, plan.libcameraInUse)) lines.push(`  · ${c}`);
  return lines.join('\n');
}

/** The plan as data, every step in order: file contents are left out (they may hold secrets); diffs stay. */
export function planToJson(plan: Plan) {
  return {
    host: plan.host,
    changes: changeCount(plan),
    steps: plan.steps.map((s) =>
      s.kind === 'write-file'
        ? { kind: s.kind, path: s.path, action: s.action, mode: `0${s.file.mode.toString(8)}`, owner: `${s.file.owner}:${s.file.group}`, diff: s.diff, description: describeStep(s) }
        : { ...s, description: describeStep(s) },
    ),
    warnings: plan.warnings,
    ...(plan.libcamera ? { libcamera: plan.libcamera, libcameraInUse: !!plan.libcameraInUse } : {}),
  };
}
