// File descriptor limits: a simulated fleet holds a listening socket per host, and camfleet one
// connection per host in flight. Node cannot raise its own limit, so children get it raised by
// the shell that starts them.
import { readFileSync } from 'node:fs';

/** This process's soft limit on open files. */
export function openFileLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === 'unlimited' || soft === undefined ? Infinity : Number(soft);
}

/**
 * Arguments for `sh` that raise the soft limit to `want` if it is lower (as far as the hard limit allows) and
 * then run the command: `spawn('sh', withOpenFiles(4096, cmd, args))`.
 */
export function withOpenFiles(want: number, cmd: string, args: string[]): string[] {
  const raise = `n=$(ulimit -n); [ "$n" = unlimited ] || [ "$n" -ge ${want} ] || ulimit -n ${want} 2>/dev/null || ulimit -n "$(ulimit -Hn)"`;
  return ['-c', `${raise}; exec "$@"`, 'sh', cmd, ...args];
}
