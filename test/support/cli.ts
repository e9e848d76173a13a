// Run camfleet's CLI as an operator would: a child process, its output and exit status.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { distIsCurrent } from '../../provision/bundle/up-to-date.mjs';

export const root = join(import.meta.dirname, '..', '..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The bundled CLI, dist/camfleet.mjs: what `npm run provision` runs, in half the CPU time of the
 * sources through tsx (render --all: 1.4 against 2.8 s), over the ~150 calls a run makes on two
 * busy cores. Built first when the sources changed since (npm test builds it before its stages),
 * so no call prints fresh-cli.mjs's "building" line or waits on a build.
 */
export async function camfleet(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return run(process.execPath, [await bundledCli(), ...withTestGate(args)], options);
}

/** The CLI from its TypeScript sources, through tsx: for the tests that hold the bundle to them. */
export function camfleetFromSources(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return run(process.execPath, ['--import', 'tsx', join(root, 'provision', 'cli', 'main.ts'), ...withTestGate(args)], options);
}

let bundle: Promise<string> | undefined;

/** dist/camfleet.mjs, built (once per test process) when it is older than the sources. */
export function bundledCli(): Promise<string> {
  // The build's modules (esbuild, the artifacts) load only when a build is needed.
  bundle ??= distIsCurrent(root) ? Promise.resolve(join(root, 'dist', 'camfleet.mjs')) : import('../../provision/bundle/build-cli.ts').then((b) => b.buildCli());
  return bundle;
}

/**
 * Every provision a test runs passes the health gate, as an operator's does, but held for 2 s rather
 * than the default 10 s: dozens of changing runs would otherwise spend minutes settling. The lab Pis
 * share this machine's two cores (the VM lab Pi under emulation), and a busy machine has taken more
 * than the default 30 s to start a streamer, so they get the start-up a slow Pi gets. A test that
 * names --health-timeout itself (the gate's own, test/health-gate.e2e.test.ts) keeps its own; a plan
 * applied from a file carries the gate it was made with.
 */
function withTestGate(args: string[]): string[] {
  if (args[0] !== 'provision' || args.some((a) => a === '--health-timeout' || a.startsWith('--health-timeout=') || a.startsWith('--apply-plan'))) return args;
  return [...args, '--health-timeout', '2', '--health-startup', String(labStartupSeconds)];
}

/** What the lab Pis' health gates give a stream to come up (--health-startup). */
export const labStartupSeconds = 120;

export function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd ?? root, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
