// One process's line in /proc/<pid>/stat, for the benches that measure CPU on this machine.
import { readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat times; 100 on every Linux this runs on. */
export const ticksPerSecond = 100;

/**
 * Parent pid and user + system CPU so far (ms) of a process, from its /proc stat line; reapedCpuMs
 * adds the CPU of the children it waited for (a shell's short commands).
 */
export function procStat(statLine: string): { ppid: number; cpuMs: number; reapedCpuMs: number } {
  // After the command name's closing parenthesis (the name itself may hold spaces and parentheses).
  const f = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  const cpuMs = ((Number(f[11]) + Number(f[12])) * 1000) / ticksPerSecond;
  return { ppid: Number(f[1]), cpuMs, reapedCpuMs: cpuMs + ((Number(f[13]) + Number(f[14])) * 1000) / ticksPerSecond };
}

/** CPU so far (ms) of a process on this machine, with `reaped` the children's it waited for too. */
export function processCpuMs(pid: number, reaped = false): number {
  const stat = procStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return reaped ? stat.reapedCpuMs : stat.cpuMs;
}
