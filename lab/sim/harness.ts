// A simulated fleet in a process of its own (`npm run sim -- serve`), so that what camfleet spends
// per host is measured apart from what its targets spend answering. For benchmarks and tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { projectRoot } from '../../provision/converge/project-root.ts';
import { withOpenFiles } from './limits.ts';

export interface SimFleetProcess {
  pid: number;
  hosts: number;
  knownHosts: string;
  /** The soft limit on open files the fleet's process runs with. */
  openFileLimit: number;
  /** The inventory of the first n simulated hosts. */
  inventory(n: number): Promise<string>;
  stats(): Promise<{ connections: number; answered: number; refused: number }>;
  stop(): Promise<void>;
}

/** The fleet refused to start: its message (a stale recording says so loudly) and exit status. */
export class SimFleetRefused extends Error {
  constructor(readonly code: number | null, readonly stderr: string) {
    // Its own first words lead: a stale recording's refusal must not drown in a wrapper.
    super(`${stderr.trim() || 'the simulated fleet did not start'} (exit ${code})`);
    this.name = 'SimFleetRefused';
  }
}

export async function spawnSimFleet(hosts: number, options: { dir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<SimFleetProcess> {
  const args = ['--import', 'tsx', join(projectRoot, 'lab', 'sim', 'cli.ts'), 'serve', '--hosts', String(hosts), ...(options.dir ? ['--dir', options.dir] : [])];
  const child = spawn('sh', withOpenFiles(hosts + 2 * Math.min(hosts, 1000) + 256, process.execPath, args), {
    cwd: projectRoot,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const replies = lineReader(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const first = await Promise.race([replies.next(), exited.then(() => undefined)]);
  if (!first) {
    await exited;
    throw new SimFleetRefused(await exited, stderr);
  }
  const ready = JSON.parse(first) as { knownHosts: string; openFileLimit: number };
  const ask = async <T>(request: string): Promise<T> => {
    child.stdin!.write(`${request}\n`);
    const line = await replies.next();
    if (!line) throw new Error(`the simulated fleet exited: ${stderr.trim()}`);
    return JSON.parse(line) as T;
  };
  return {
    pid: child.pid!,
    hosts,
    knownHosts: ready.knownHosts,
    openFileLimit: ready.openFileLimit,
    inventory: async (n) => (await ask<{ inventory: string }>(`inventory ${n}`)).inventory,
    stats: () => ask('stats'),
    async stop() {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** stdout's lines, one per call, in order; undefined once stdout ends. */
function lineReader(child: ChildProcess): { next(): Promise<string | undefined> } {
  const queue: string[] = [];
  const waiting: ((line: string | undefined) => void)[] = [];
  let ended = false;
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => (waiting.length ? waiting.shift()!(line) : queue.push(line)));
  lines.on('close', () => {
    ended = true;
    for (const w of waiting.splice(0)) w(undefined);
  });
  return {
    next: () => (queue.length ? Promise.resolve(queue.shift()) : ended ? Promise.resolve(undefined) : new Promise((r) => waiting.push(r))),
  };
}
