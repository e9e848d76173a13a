// One builder at a time per cached image: the cache is shared by every checkout on the machine, and
// a build that finds a half-built folder deletes it and starts again, so two builders at once (two
// checkouts' test runs, say) would delete each other's work. The same lock keeps the lab's files
// whole when two test groups bring lab Pis up side by side. The lock is a directory (mkdir is
// atomic) holding its owner's pid; a lock whose owner is gone is taken over.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The lock's owner: its pid while it lives, 'dead', undefined before it wrote its pid, 'gone' with the lock. */
function ownerOf(lock: string): number | 'dead' | 'gone' | undefined {
  let text: string;
  try {
    text = readFileSync(join(lock, 'pid'), 'utf8');
  } catch {
    return statSync(lock, { throwIfNoEntry: false }) ? undefined : 'gone';
  }
  const pid = Number(text);
  if (!text) return undefined;
  return alive(pid) ? pid : 'dead';
}

/** Run `build` holding the lock for `target`; waits, saying so once, while another process holds it. */
export function withBuildLock<T>(target: string, log: (line: string) => void, build: () => Promise<T>): Promise<T> {
  return withLock(target, { waiting: (owner) => log(`waiting for another build of ${target}${owner ? ` (pid ${owner})` : ''}`), pollMs: 1000 }, build);
}

/**
 * Run `work` holding the lock for `target` (the directory `${target}.lock`); while another holder
 * has it, `waiting` is called once and the lock is tried every `pollMs`.
 */
export async function withLock<T>(target: string, o: { waiting?: (owner?: number) => void; pollMs: number }, work: () => Promise<T>): Promise<T> {
  const lock = `${target}.lock`;
  let told = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = ownerOf(lock);
      if (owner === 'gone') continue;
      // No pid yet: the owner is between its mkdir and its write (or died there, long ago).
      if (owner === 'dead' || (owner === undefined && Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 10_000)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (!told) o.waiting?.(typeof owner === 'number' ? owner : undefined);
      told = true;
      await new Promise((r) => setTimeout(r, o.pollMs));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
