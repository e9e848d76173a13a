// One host, start to end: render -> connect -> observe -> plan -> (apply) -> report.
// Never throws: every outcome, failures included, comes back as a HostResult.
import { connect, type ConnectOptions } from '../apply/ssh.ts';
import { applyPlan } from '../apply/apply.ts';
import { ConnectionLost, HostError, UnreachableError } from '../errors.ts';
import { fetchContents, observeHost } from '../observe/observe.ts';
import { filesNeedingContent, makePlan } from '../plan/plan.ts';
import { renderHost, type RenderInputs } from '../render/render.ts';
import type { HostResult } from '../result.ts';
import type { Plan, ResolvedHost } from '../types.ts';
import { maskSecrets } from '../errors.ts';

export interface ProvisionOptions extends ConnectOptions {
  /** Plan only (--check). */
  check?: boolean;
  /** Apply even when it reconfigures the interface this SSH connection runs over. */
  allowSshCutoff?: boolean;
  /** Fetch old contents so the plan carries diffs. */
  diff?: boolean;
  progress?: (host: string, label: string) => void;
  /** Shown the plan before it is applied. */
  onPlan?: (plan: Plan) => void;
}

export async function provisionHost(host: ResolvedHost, inputs: RenderInputs, options: ProvisionOptions = {}): Promise<HostResult> {
  const started = performance.now();
  // The step in progress, to name in the report if the connection is lost outside apply.
  let current = 'connect';
  const say = (label: string) => {
    current = label;
    options.progress?.(host.name, label);
  };
  const result: HostResult = { host: host.name, outcome: 'ok', steps: [], ms: 0 };
  let remote: Awaited<ReturnType<typeof connect>> | undefined;
  try {
    const desired = renderHost(host, inputs);
    say('connect');
    remote = await connect(host, options);
    say('observe');
    const observed = await observeHost(remote, desired);
    result.observed = observed;
    const old = options.diff ? await fetchContents(remote, filesNeedingContent(desired, observed)) : {};
    const plan = makePlan(desired, observed, old);
    result.plan = plan;
    options.onPlan?.(plan);
    if (plan.steps.length === 0) result.outcome = 'ok';
    else if (options.check) result.outcome = 'pending';
    else if (plan.cutsOffSsh && !options.allowSshCutoff) throw new HostError(host.name, 'safety check', plan.cutsOffSsh);
    else {
      result.steps = await applyPlan(remote, plan, desired, say);
      result.outcome = 'changed';
    }
  } catch (caught) {
    const e = caught instanceof ConnectionLost && caught.step === 'ssh' ? caught.during(current) : caught;
    result.outcome = e instanceof UnreachableError ? 'unreachable' : 'failed';
    const err = e instanceof HostError ? { step: e.step, message: e.describe() } : { step: 'internal', message: `${host.name}: ${(e as Error).message}` };
    result.error = { step: err.step, message: maskSecrets(err.message, host.secrets) };
  } finally {
    await remote?.close();
    result.ms = Math.round(performance.now() - started);
  }
  return result;
}
