// Small process helpers for the lab: liveness, signals, free ports, memory of a process tree,
// polling with a deadline.
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Send `sig`; a process that has exited meanwhile (ESRCH) is what stopping it wanted anyway. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** A loopback port nobody listens on right now, chosen by the kernel (the caller binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** Poll `check` until it returns true. Throws on timeout unless `quiet`, then returns false. */
export async function waitFor(
  check: () => Promise<boolean>,
  o: { timeoutMs: number; what: string; intervalMs?: number; quiet?: boolean },
): Promise<boolean> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) {
      if (o.quiet) return false;
      throw new Error(`timed out after ${(o.timeoutMs / 1000).toFixed(0)} s waiting for ${o.what}`);
    }
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 200));
  }
}

/** Proportional set size (KiB) of one process (0 if it is gone): shared pages count a share each. */
export function processMemory(pid: number): number {
  let rollup = '';
  try {
    rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return 0;
  }
  return Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
}

/** Every process under `root` (itself included), by walking parent pids. */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The parent PID is the second field after the command name, which may contain spaces.
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const found = [root];
  for (let i = 0; i < found.length; i++) for (const [pid, ppid] of parents) if (ppid === found[i]) found.push(pid);
  return found;
}

/** Proportional set size (KiB) of a process and all its descendants: memory it really costs. */
export async function processTreeMemory(root: number): Promise<number> {
  return processTree(root).reduce((kib, pid) => kib + processMemory(pid), 0);
}
