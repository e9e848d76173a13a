// Faults injected into container lab Pis from this machine, which sees their processes: kill some
// of a lab Pi's processes the way a crash would (SIGKILL), with no help from inside the Pi.
import { readFileSync, readdirSync } from 'node:fs';
import type { LabHost } from '../../lab/state.ts';
import { onHost } from './lab.ts';

function read(pid: string, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/** SIGKILL every process of lab Pi `host` whose command line (as `ps` shows it) `matches`; how many. */
export function killOnHost(host: LabHost, matches: (cmdline: string) => boolean): number {
  let killed = 0;
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    const cmdline = read(pid, 'cmdline').replaceAll('\0', ' ').trim();
    if (!cmdline || !matches(cmdline) || read(pid, 'root/etc/hostname').trim() !== host.name) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
      killed++;
    } catch {
      // gone already
    }
  }
  return killed;
}

/** The sshd processes serving `user`'s sessions (not the listener): the connections drop at once. */
export const killSshSessions = (host: LabHost, user: string): number => killOnHost(host, (c) => c.startsWith(`sshd: ${user}`));

/** Every sshd, the listener too: systemd starts the listener again (Restart=on-failure). */
export const killSshd = (host: LabHost): number => killOnHost(host, (c) => c.startsWith('sshd:') || c.startsWith('/usr/sbin/sshd'));

/** nginx, master and workers, as a crash would take them. */
export const killNginx = (host: LabHost): number => killOnHost(host, (c) => c.startsWith('nginx:'));

/** Staging leftovers anywhere camfleet writes (`.<name>.camfleet-XXXXXX` beside a target), one per line. */
export const leftovers = (host: LabHost): string => onHost(host, 'sudo find /etc /opt/camfleet -name ".*.camfleet-*" 2>/dev/null || true').trim();
