// A plan saved to a file by `provision --check --plan-out FILE` and applied, exactly as saved, by
// `provision --apply-plan FILE`. It holds what apply needs and nothing to look up again: every
// step with the new files' whole contents, and what observe asked and saw, so a host that has
// changed since is refused. The contents can hold secrets (a hotspot passphrase, a secret stream
// key): the file is written for its owner only (0600), and camfleet says so.
import { readFile } from 'node:fs/promises';
import { UsageError } from '../core/errors.ts';
import { stepKinds } from '../core/plan/steps.ts';
import type { SavedHostPlan } from './provision-host.ts';
import { writeFileWhole } from '../transport/whole-file.ts';

const kind = 'camfleet saved plan';
// 2: the plan holds every step apply runs (commit, clear-pending, verify, the SSH guard).
// 3: and the lock against a second run at once (a version-2 plan would apply without it).
const version = 3;

export interface PlanFile {
  kind: typeof kind;
  version: typeof version;
  createdAt: string;
  /** Why the file is private. */
  note: string;
  hosts: SavedHostPlan[];
}

/** Written whole or not at all (a temp file renamed over), mode 0600 from the start. */
export async function writePlanFile(path: string, hosts: SavedHostPlan[], holdsSecrets: boolean): Promise<void> {
  const note = holdsSecrets
    ? 'holds the new files’ contents, secrets included (hotspot passphrase, secret stream key): keep it private; written 0600'
    : 'holds the new files’ contents: written 0600';
  const file: PlanFile = { kind, version, createdAt: new Date().toISOString(), note, hosts };
  await writeFileWhole(path, `${JSON.stringify(file)}\n`, 0o600);
}

export async function readPlanFile(path: string): Promise<PlanFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--apply-plan ${path}: cannot read it (${(e as NodeJS.ErrnoException).code})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--apply-plan ${path}: not JSON (${(e as Error).message})`);
  }
  const problem = shapeProblem(data);
  if (problem) throw new UsageError(`--apply-plan ${path}: not a plan saved by camfleet provision --check --plan-out (${problem})`);
  return data as PlanFile;
}

/** Enough of a check that a wrong or hand-mangled file is refused before any host is touched. */
function shapeProblem(data: unknown): string | undefined {
  const file = data as Partial<PlanFile> | null;
  if (typeof file !== 'object' || file === null || file.kind !== kind) return `its "kind" is not "${kind}"`;
  if (file.version !== version) return `version ${String(file.version)}, this camfleet reads version ${version}`;
  if (!Array.isArray(file.hosts) || file.hosts.length === 0) return 'it holds no hosts';
  for (const [i, h] of file.hosts.entries()) {
    const ok =
      typeof h?.host === 'string' &&
      typeof h.address === 'string' &&
      Array.isArray(h.plan?.steps) &&
      h.plan.steps.every((s) => typeof s?.kind === 'string' && Object.hasOwn(stepKinds, s.kind)) &&
      typeof h.observed?.files === 'object' &&
      Array.isArray(h.observe?.packages) &&
      Array.isArray(h.observe?.files);
    if (!ok) return `hosts[${i}] is incomplete`;
  }
  const names = file.hosts.map((h) => h.host);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  return twice ? `host ${twice} is in it twice` : undefined;
}
