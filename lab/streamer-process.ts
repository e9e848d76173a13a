// The real streamer as a child process — the esbuild bundle the Pi runs, started with node — with
// its JSON log lines parsed, so tests and benchmarks can wait for events and look at its ffmpeg.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStreamerBundle } from '../streamer/build.ts';

export interface LogEvent {
  time: string;
  event: string;
  [field: string]: unknown;
}

export interface StreamerProcess {
  child: ChildProcess;
  pid: number;
  events: LogEvent[];
  /** Resolves with the first event (from index `from` on) matching; rejects after timeoutMs. */
  waitFor(match: (e: LogEvent) => boolean, timeoutMs: number, from?: number): Promise<LogEvent>;
  /** Pids of the streamer's direct children (its ffmpeg, or an encoder probe). */
  children(): number[];
  /** Resolves when it exits by itself. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM; resolves with how long it took to exit and its exit code. */
  terminate(): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it wrote to stderr. */
  stderr(): string;
}

let bundlePath: Promise<string> | undefined;
let bundleDir: string | undefined;

/** Remove the built bundle (test runners may end workers without an 'exit' event). */
export function removeStreamerBundle(): void {
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  bundleDir = undefined;
  bundlePath = undefined;
}

/** Build the streamer bundle once per process, into a temp dir. */
export function streamerBundle(): Promise<string> {
  bundlePath ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'camfleet-streamer-'));
    bundleDir = dir;
    process.once('exit', removeStreamerBundle);
    const path = join(dir, 'streamer.mjs');
    await writeFile(path, await buildStreamerBundle());
    return path;
  })();
  return bundlePath;
}

export async function startStreamer(args: readonly string[]): Promise<StreamerProcess> {
  const bundle = await streamerBundle();
  const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: LogEvent[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let buffer = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      // Every stdout line must be one JSON object: a parse error fails the test that reads it.
      events.push(JSON.parse(line) as LogEvent);
    }
    for (const w of waiters) w();
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const pid = child.pid ?? 0;

  return {
    child,
    pid,
    events,
    stderr: () => stderr,
    waitFor(match, timeoutMs, from = 0) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = events.slice(from).find(match);
          if (!found) return;
          cleanup();
          resolve(found);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching streamer event within ${timeoutMs} ms; log:\n${events.map((e) => JSON.stringify(e)).join('\n')}\n${stderr}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        void exited.then(() => {
          if (!waiters.has(check)) return;
          cleanup();
          reject(new Error(`streamer exited before the event; log:\n${events.map((e) => JSON.stringify(e)).join('\n')}\n${stderr}`));
        });
        check();
      });
    },
    children: () => childPids(pid),
    exited: () => exited,
    async terminate() {
      const t0 = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const r = await exited;
      return { ms: Date.now() - t0, ...r };
    },
  };
}

/** Direct children of pid, from /proc (empty once pid is gone). */
export function childPids(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(file)) return [];
  try {
    return readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Whether a process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** utime + stime of a process in clock ticks (1/100 s on Linux). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command: state is index 0, utime 11, stime 12.
  return Number(fields[11]) + Number(fields[12]);
}

/** Resident set size in KiB, from /proc/<pid>/status. */
export function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}
