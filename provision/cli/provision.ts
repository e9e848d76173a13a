// `camfleet provision`: options, then a rollout of provisionHost over the selected hosts, with
// live progress, the plan of each host, a summary table, and an exit status that means something.
import { stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { newDialer } from '../transport/tcp.ts';
import { loadSelected, parse, selectionOptions } from './common.ts';
import { UsageError } from '../core/errors.ts';
import { exitCodes } from './exit-codes.ts';
import { formatPlan, planToJson } from '../core/plan/format.ts';
import { defaultSettleSeconds, gateStartupSeconds } from '../core/plan/gate.ts';
import { progressView } from './progress.ts';
import { rollout } from '../rollout/rollout.ts';
import { countFlag, failureBudgetFlag, parallelFlag } from './flags.ts';
import { exitCodeFor, summaryTable } from './summary.ts';
import type { HostResult } from '../converge/result.ts';
import { readPlanFile, writePlanFile } from '../converge/plan-file.ts';
import type { ProvisionOptions, SavedHostPlan } from '../converge/provision-host.ts';

export const provisionUsage = `Usage: npm run provision -- (--host NAME | --group NAME | --all | --limit GLOB) [options]

Brings each selected Pi to the state the inventory describes: packages, files, units. A second
run changes nothing. Plans first (observe in one SSH round trip), then applies exactly that plan.

Options:
  -i, --inventory FILE      the inventory (default: $CAMFLEET_INVENTORY or ./inventory.yaml)
  --check                   show the plan, change nothing; exit 3 when changes are pending
  --diff                    show file diffs in the plan (secrets masked)
  --json                    print the plans and results as JSON on stdout
  --report FILE             also write the JSON report to FILE
  --parallel N              hosts at once (default 8)
  --canary N                run N hosts first; if one fails (or rolls back), start no other
  --max-failures N|P%       stop starting hosts once more than N (or P% of them) failed
  --trust-new-host-keys     accept and record unknown SSH host keys (never a changed one)
  --allow-ssh-cutoff        plan a hotspot change even over the Wi-Fi interface it takes over
                            (without it, such a plan stops at its first step, a safety check)
  --health-timeout SECS     the health gate's settle time: after a change, a camera Pi's stream must
                            be LIVE at >= 90% of its fps for SECS without a break (default 10), read
                            on the Pi; otherwise the Pi rolls back to its previous files by itself
                            and reports 'rolled back': a failure (it spends --max-failures, and a
                            canary that rolls back starts no other host)
  --health-startup SECS     what the health gate gives the stream to come up after the restarts,
                            before the settle time (default 30); a slow Pi may need more
  --no-rollback             a Pi that fails the health gate keeps the new files (for debugging)
  --connect-timeout SECS    give up connecting after SECS (default 15)
  --delete-recordings       where recording is off, delete the recorded segments too (kept otherwise)
  --templates DIR           render with the templates in DIR (to try a template change)
  --plan-out FILE           with --check: save the plan to FILE (written 0600: it holds the new
                            files' contents, secrets included)
  --apply-plan FILE         apply exactly the plan saved in FILE to its hosts; a host that has
                            changed since the plan was made is refused (exit 2, saying what moved)
  -h, --help                this help

Exit status: 0 ok, 1 a host failed (or rolled back), 2 bad usage or inventory (or a saved plan gone stale),
             3 changes pending (--check), 4 a host unreachable (or its connection lost mid-run),
             5 both failed and unreachable hosts.`;

export async function runProvisionCli(args: string[]): Promise<number> {
  const { values } = parse(args, {
    ...selectionOptions,
    check: { type: 'boolean' },
    diff: { type: 'boolean' },
    json: { type: 'boolean' },
    report: { type: 'string' },
    parallel: { type: 'string' },
    canary: { type: 'string' },
    'max-failures': { type: 'string' },
    'trust-new-host-keys': { type: 'boolean' },
    'allow-ssh-cutoff': { type: 'boolean' },
    'connect-timeout': { type: 'string' },
    'delete-recordings': { type: 'boolean' },
    'health-timeout': { type: 'string' },
    'health-startup': { type: 'string' },
    'no-rollback': { type: 'boolean' },
    templates: { type: 'string' },
    'plan-out': { type: 'string' },
    'apply-plan': { type: 'string' },
  });
  if (values.help) return console.log(provisionUsage), exitCodes.ok;
  const planOut = values['plan-out'];
  const applyFrom = values['apply-plan'];
  if (planOut !== undefined && !values.check) throw new UsageError('--plan-out saves the plan of a --check run: add --check');
  if (applyFrom !== undefined) {
    const clash = (['check', 'templates', 'host', 'group', 'all', 'limit'] as const).filter((k) => values[k] !== undefined);
    if (clash.length) throw new UsageError(`--apply-plan takes its hosts and files from the plan: drop --${clash.join(', --')}`);
    // The SSH guard and the health gate are steps of the saved plan: decided when the plan is made.
    if (values['allow-ssh-cutoff'])
      throw new UsageError('--apply-plan applies the plan as it was saved, SSH guard included: make it with --check --plan-out --allow-ssh-cutoff');
    const gateFlags = (['health-timeout', 'health-startup', 'no-rollback'] as const).filter((k) => values[k] !== undefined);
    if (gateFlags.length)
      throw new UsageError(`--apply-plan applies the plan as it was saved, health gate included: make it with --check --plan-out --${gateFlags.join(' --')}`);
  }
  const parallel = parallelFlag(values.parallel, 8);
  // --canary 0: no canary batch (every host at once, as without the flag).
  const canary = values.canary === undefined ? undefined : countFlag('--canary', values.canary, 0, 10_000, 0);
  const failureBudget = failureBudgetFlag(values['max-failures']);
  // Node's timers take at most 2^31-1 ms; a larger timeout would wrap round to 1 ms.
  const timeoutMs = countFlag('--connect-timeout', values['connect-timeout'], 15, 3600) * 1000;
  const settleSeconds = countFlag('--health-timeout', values['health-timeout'], defaultSettleSeconds, 3600);
  const startupSeconds = countFlag('--health-startup', values['health-startup'], gateStartupSeconds, 3600);
  if (values.report !== undefined) await checkWritableFile(values.report, '--report');
  if (planOut !== undefined) await checkWritableFile(planOut, '--plan-out');

  const saved = applyFrom === undefined ? undefined : new Map((await readPlanFile(applyFrom)).hosts.map((h) => [h.host, h]));
  const inventory = await loadSelected(saved ? { inventory: values.inventory, host: [...saved.keys()] } : values);
  const maxFailures = failureBudget?.(inventory.hosts.length);
  if (values['delete-recordings']) for (const h of inventory.hosts) h.recording = { ...h.recording, deleteRecordings: true };
  // The first hosts' connections are under way while the SSH library and templates load.
  const dialer = newDialer();
  for (const h of inventory.hosts.slice(0, Math.min(canary ?? parallel, parallel))) if (!h.ssh.jump) dialer.predial(h.address, h.ssh.port, timeoutMs);
  const [{ applySavedPlan, provisionHost }, { loadRenderInputs }] = await Promise.all([import('../converge/provision-host.ts'), import('../converge/render-inputs.ts')]);
  // A saved plan carries every file it writes: nothing is rendered for it.
  const inputs = saved ? undefined : await loadRenderInputs(values.templates);
  const planned: SavedHostPlan[] = [];
  const byName = new Map(inventory.hosts.map((h) => [h.name, h]));
  const view = progressView(process.stderr, { total: inventory.hosts.length });
  const show = (text: string) => (values.json ? view.note(text) : (view.note(''), console.log(text)));

  const onInterrupt = () => {
    view.close();
    console.error('\ncamfleet: interrupted; files already swapped in stay, staged ones are discarded on the next run');
    process.exit(exitCodes.interrupted);
  };
  process.once('SIGINT', onInterrupt);

  const results = await rollout(inventory.hosts.map((h) => h.name), { parallel, canary, maxFailures }, async (name) => {
    const host = byName.get(name)!;
    const options: ProvisionOptions = {
      check: values.check,
      diff: values.diff,
      timeoutMs,
      dialer,
      trustNewHostKeys: values['trust-new-host-keys'],
      allowSshCutoff: values['allow-ssh-cutoff'],
      settleSeconds,
      startupSeconds,
      noRollback: values['no-rollback'],
      onKeyRecorded: (m) => view.note(m),
      progress: (host, label) => view.step(host, label),
      onPlan: (plan) => {
        if (plan.steps.length || values.check || values.diff) show(formatPlan(plan, { diff: values.diff }));
      },
      onPlanned: planOut === undefined ? undefined : (p) => planned.push(p),
    };
    const r = saved ? await applySavedPlan(host, saved.get(name)!, options) : await provisionHost(host, inputs!, options);
    view.done(r);
    return r;
  }, skipped);
  view.close();
  process.off('SIGINT', onInterrupt);
  dialer.hangUpUnused();

  if (planOut !== undefined) {
    const secrets = inventory.hosts.flatMap((h) => h.secrets).filter(Boolean);
    const holdsSecrets = planned.some((p) => p.plan.steps.some((s) => s.kind === 'write-file' && (s.file.sensitive || secrets.some((x) => s.file.content.includes(x)))));
    await writePlanFile(planOut, order(planned, inventory.hosts.map((h) => h.name)), holdsSecrets);
    console.error(
      `camfleet: saved the plan of ${planned.length} of ${results.length} host(s) to ${planOut}, mode 0600: it holds the new files' contents` +
        `${holdsSecrets ? ', secrets included: keep it private' : ''}. Apply exactly it with --apply-plan ${planOut}`,
    );
  }

  const report = jsonReport(results, !!values.check);
  // The run is done: a report that cannot be written must not swallow the summary of what happened.
  const reportFailed = values.report
    ? await writeFile(values.report, `${JSON.stringify(report, null, 2)}\n`).then(
        () => undefined,
        (e: NodeJS.ErrnoException) => `camfleet: could not write --report ${values.report} (${e.code ?? e.message})`,
      )
    : undefined;
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else {
    for (const r of results.filter((r) => r.steps.length)) {
      console.log(`\n${r.host}: applied`);
      for (const s of r.steps) console.log(`  ${(s.ms / 1000).toFixed(1).padStart(6)}s  ${s.label}`);
    }
    console.log(`\n${summaryTable(results, new Map(inventory.hosts.map((h) => [h.name, h.address])))}`);
  }
  const code = exitCodeFor(results);
  if (!reportFailed) return code;
  console.error(reportFailed);
  return code === exitCodes.ok || code === exitCodes.changesPending ? exitCodes.failed : code | exitCodes.failed;
}

/** In the inventory's order, whatever order the hosts finished in. */
function order(plans: SavedHostPlan[], names: string[]): SavedHostPlan[] {
  return [...plans].sort((a, b) => names.indexOf(a.host) - names.indexOf(b.host));
}

/** A host the failure budget kept from starting. */
function skipped(host: string, reason: string): HostResult {
  return { host, outcome: 'skipped', steps: [], ms: 0, error: { step: 'rollout', message: `not started: ${reason}` } };
}

/** Before any host is touched: `path` can be written as a file (not a directory, its folder exists). */
async function checkWritableFile(path: string, flag: string): Promise<void> {
  const target = await stat(path).catch(() => undefined);
  if (target?.isDirectory()) throw new UsageError(`${flag} ${path} is a directory; name a file`);
  const folder = await stat(dirname(resolve(path))).catch(() => undefined);
  if (!folder?.isDirectory()) throw new UsageError(`${flag} ${path}: folder ${dirname(resolve(path))} does not exist`);
}

function jsonReport(results: HostResult[], check: boolean) {
  return {
    mode: check ? 'check' : 'apply',
    exitCode: exitCodeFor(results),
    hosts: results.map((r) => ({
      host: r.host,
      outcome: r.outcome,
      ms: r.ms,
      plan: r.plan ? planToJson(r.plan) : null,
      applied: r.steps,
      error: r.error ?? null,
    })),
  };
}
