// One host, start to end: render -> connect -> observe -> plan -> (apply) -> report; or, for a
// saved plan: connect -> observe -> check nothing moved since it was made -> apply it as saved.
// Never throws: every outcome, failures included, comes back as a HostResult.
import { connect, type ConnectOptions } from '../transport/ssh.ts';
import { applyPlan, RolledBack } from '../apply/apply.ts';
import { ConnectionLost, HostError, UnreachableError } from '../transport/host-error.ts';
import { fetchContents, observeHost } from '../facts/observe/observe.ts';
import { whatMoved } from '../core/plan/moved.ts';
import { filesNeedingContent, makePlan } from '../core/plan/plan.ts';
import { renderHost, type RenderInputs } from '../core/render/render.ts';
import type { HostResult } from './result.ts';
import type { Remote } from '../transport/remote.ts';
import type { ObservedState, Plan, ResolvedHost } from '../core/types.ts';
import { observeQuery, type ObserveQuery } from '../facts/observe/script.ts';
import { maskSecrets } from '../core/errors.ts';

export interface ProvisionOptions extends ConnectOptions {
  /** Plan only (--check). */
  check?: boolean;
  /** Plan without the guard that stops a run reconfiguring the interface this SSH connection runs over. */
  allowSshCutoff?: boolean;
  /** The health gate's settle time (--health-timeout), its start-up time (--health-startup), and --no-rollback. */
  settleSeconds?: number;
  startupSeconds?: number;
  noRollback?: boolean;
  /** Fetch old contents so the plan carries diffs. */
  diff?: boolean;
  progress?: (host: string, label: string) => void;
  /** Shown the plan before it is applied. */
  onPlan?: (plan: Plan) => void;
  /** Handed the plan with what it was made from, to save (--plan-out). */
  onPlanned?: (saved: SavedHostPlan) => void;
}

export async function provisionHost(host: ResolvedHost, inputs: RenderInputs, options: ProvisionOptions = {}): Promise<HostResult> {
  const desired = renderHost(host, inputs);
  return onHost(host, options, async (remote, say, result) => {
    say('observe');
    const observed = await observeHost(remote, desired);
    result.observed = observed;
    const old = options.diff ? await fetchContents(remote, filesNeedingContent(desired, observed)) : {};
    const plan = makePlan(desired, observed, old, options);
    options.onPlanned?.({ host: host.name, address: host.address, plan, observe: observeQuery(desired), observed });
    await carryOut(remote, plan, say, result, options);
  });
}

/** A plan saved by `--check --plan-out`, with what observe saw when it was made. */
export interface SavedHostPlan {
  host: string;
  /** The address it was made for. */
  address: string;
  plan: Plan;
  /** What observe asked the host, and what it answered. */
  observe: ObserveQuery;
  observed: ObservedState;
}

/** The saved plan was made for a host that has changed since: applying it could undo what changed. */
export class StalePlan extends HostError {
  constructor(host: string, readonly moved: string[]) {
    super(host, 'saved plan', `the host changed since the plan was made; nothing was applied. What moved:\n${moved.map((m) => `  ${m}`).join('\n')}\nMake a new plan (--check --plan-out) and look at it again.`);
    this.name = 'StalePlan';
  }
}

/** Apply exactly a saved plan, if the host is still as observe saw it then. */
export async function applySavedPlan(host: ResolvedHost, saved: SavedHostPlan, options: ProvisionOptions = {}): Promise<HostResult> {
  return onHost(host, options, async (remote, say, result) => {
    if (host.address !== saved.address) throw new StalePlan(host.name, [`address: the plan was made for ${saved.address}, the inventory now says ${host.address}`]);
    say('observe');
    const observed = await observeHost(remote, saved.observe);
    result.observed = observed;
    result.plan = saved.plan;
    const moved = whatMoved(saved.observed, observed);
    if (moved.length) throw new StalePlan(host.name, moved);
    await carryOut(remote, saved.plan, say, result, options);
  });
}

type Say = (label: string) => void;

async function carryOut(remote: Remote, plan: Plan, say: Say, result: HostResult, options: ProvisionOptions): Promise<void> {
  result.plan = plan;
  options.onPlan?.(plan);
  if (plan.steps.length === 0) result.outcome = 'ok';
  else if (options.check) result.outcome = 'pending';
  else {
    result.steps = await applyPlan(remote, plan, say);
    result.outcome = 'changed';
  }
}

/** Connect, run `body`, and turn whatever happens into the host's result. */
async function onHost(
  host: ResolvedHost,
  options: ProvisionOptions,
  body: (remote: Remote, say: Say, result: HostResult) => Promise<void>,
): Promise<HostResult> {
  const started = performance.now();
  // The step in progress, to name in the report if the connection is lost outside apply.
  let current = 'connect';
  const say = (label: string) => {
    current = label;
    options.progress?.(host.name, label);
  };
  const result: HostResult = { host: host.name, outcome: 'ok', steps: [], ms: 0 };
  let remote: Remote | undefined;
  try {
    say('connect');
    remote = await connect(host, options);
    await body(remote, say, result);
  } catch (caught) {
    const e = caught instanceof ConnectionLost ? lostDuring(caught, current) : caught;
    // A connection lost after it was made is the host becoming unreachable, not a step failing.
    result.outcome =
      e instanceof UnreachableError || e instanceof ConnectionLost ? 'unreachable' : e instanceof StalePlan ? 'stale' : e instanceof RolledBack ? 'rolled back' : 'failed';
    const err = e instanceof HostError ? { step: e.step, message: e.describe() } : { step: 'internal', message: `${host.name}: ${(e as Error).message}` };
    result.error = { step: err.step, message: maskSecrets(err.message, host.secrets) };
  } finally {
    await remote?.close();
    result.ms = Math.round(performance.now() - started);
  }
  return result;
}

/** A loss outside apply (observe, the diff's contents) is named after the step in progress; nothing had been changed then. */
function lostDuring(lost: ConnectionLost, current: string): ConnectionLost {
  return (lost.step === 'ssh' ? lost.during(current) : lost).leaving('Nothing on the Pi had been changed yet');
}
