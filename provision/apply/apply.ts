// Execute a plan over one connection, exactly as planned: packages, then all files staged and
// validated beside their targets and swapped in together (nothing half-written: a file that fails
// validation leaves every file as it was), then units, then a check that the services are up.
import { ConnectionLost, HostError } from '../transport/host-error.ts';
import type { Remote } from '../transport/remote.ts';
import type { ManagedFile, Plan, Step } from '../core/types.ts';
import { describeStep } from '../core/plan/describe.ts';
import * as sh from './scripts.ts';

export type Progress = (label: string) => void;

/** One applied step and how long it took. */
export interface StepReport {
  label: string;
  ms: number;
}

export async function applyPlan(remote: Remote, plan: Plan, progress: Progress = () => {}): Promise<StepReport[]> {
  const reports: StepReport[] = [];
  const timed = async (label: string, fn: () => Promise<void>) => {
    progress(label);
    const start = performance.now();
    await fn();
    reports.push({ label, ms: Math.round(performance.now() - start) });
  };
  const run = async (step: string, script: string) => {
    const r = await exec(remote, step, script);
    if (r.code !== 0) throw new HostError(remote.host, step, r.code === null ? `was killed by ${r.signal}` : `exited with status ${r.code}`, r.stderr || r.stdout);
    return r.stdout;
  };

  for (const step of plan.steps) {
    if (step.kind === 'remove-leftovers') await timed(describeStep(step), async () => void (await run('remove staging leftovers', sh.discardScript(step.paths))));
    if (step.kind === 'install-packages')
      await timed(describeStep(step), async () => void (await run(describeStep(step), sh.installPackagesScript(step.packages))));
  }

  const writes = plan.steps.filter((s): s is Extract<Step, { kind: 'write-file' }> => s.kind === 'write-file');
  if (writes.length) await timed(`write ${writes.length} file(s)`, () => writeFiles(remote, plan, writes, run));

  for (const step of plan.steps) {
    const script = serviceScript(step);
    if (script) await timed(describeStep(step), async () => void (await run(describeStep(step), script)));
  }
  if (plan.steps.some((s) => s.kind === 'restart' || s.kind === 'reload')) await run('clear pending restarts', sh.clearPendingScript());

  await timed('verify services and ports', () => verify(remote, plan.verify));
  return reports;
}

async function writeFiles(
  remote: Remote,
  plan: Plan,
  writes: Extract<Step, { kind: 'write-file' }>[],
  run: (step: string, script: string) => Promise<string>,
): Promise<void> {
  const staged: { staged: string; path: string }[] = [];
  try {
    for (const w of writes.filter((w) => w.action !== 'metadata')) {
      const step = `stage ${w.path}`;
      const r = await exec(remote, step, sh.stageFileScript(w.file));
      if (r.code !== 0) throw new HostError(remote.host, step, `cannot write the new ${w.path} beside the old one: ${cause(r.stderr)}. ${nothingChanged}`, r.stderr);
      const tmp = r.stdout.trim();
      staged.push({ staged: tmp, path: w.path });
      if (w.file.validate) {
        const r = await exec(remote, `validate ${w.path}`, sh.validateScript(w.file.validate, tmp, w.path));
        if (r.code !== 0)
          throw new HostError(remote.host, `validate ${w.path}`, `the new ${w.path} is rejected by ${sh.validators[w.file.validate]}. ${nothingChanged}`, (r.stderr || r.stdout).replaceAll(tmp, w.path));
      }
    }
  } catch (e) {
    await remote.run(sh.discardScript(staged.map((s) => s.staged))).catch(() => undefined);
    throw e;
  }
  const metadata: ManagedFile[] = writes.filter((w) => w.action === 'metadata').map((w) => w.file);
  const owed = plan.steps.flatMap((s) => (s.kind === 'restart' || s.kind === 'reload' ? [{ action: s.kind, unit: s.unit }] : []));
  await run('commit files', sh.commitScript(staged, metadata, owed));
}

const nothingChanged = 'Nothing was changed: every file on the Pi stays as it was';

/** The gist of a failed shell command: its last line's last clause ("No space left on device"). */
function cause(stderr: string): string {
  const last = stderr.trim().split('\n').at(-1) ?? '';
  return last.split(': ').at(-1)?.trim() || 'the command failed';
}

function serviceScript(step: Step): string | undefined {
  switch (step.kind) {
    case 'remove-file':
      return sh.removeFileScript(step.path);
    case 'daemon-reload':
      return sh.systemctlScript('daemon-reload');
    case 'reload':
      // Reloads a running service, starts a stopped one: either way the new config is live.
      return sh.systemctlScript('reload-or-restart', step.unit);
    case 'unmask':
    case 'enable':
    case 'disable':
    case 'start':
    case 'stop':
    case 'restart':
      return sh.systemctlScript(step.kind, step.unit);
    default:
      return undefined;
  }
}

async function verify(remote: Remote, { units, ports }: Plan['verify']): Promise<void> {
  const r = await exec(remote, 'verify', sh.verifyScript(units, ports));
  if (r.code !== 0) throw new HostError(remote.host, 'verify', 'services are not all up after apply', r.stderr);
}

/** Run one step's script; a connection lost meanwhile is reported against that step. */
async function exec(remote: Remote, step: string, script: string) {
  try {
    return await remote.run(script);
  } catch (e) {
    throw e instanceof ConnectionLost ? e.during(step) : e;
  }
}
