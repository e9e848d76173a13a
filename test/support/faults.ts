// Faults injected into container lab Pis from this machine, which sees their processes: kill some
// of a lab Pi's processes the way a crash would (SIGKILL), with no help from inside the Pi; and
// holds, which stop a lab Pi at the point where a test means its fault to land.
import { closeSync, constants, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { containerRoot } from '../../lab/container.ts';
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

/** A point a lab Pi stops at until the test lets it go on: see holdOnHost. */
export interface Hold {
  /**
   * The held call's arguments, once it waits there; throws when `run` (the camfleet run expected
   * to get there) ends first, or after `timeoutMs`. Nothing on the Pi goes past the hold meanwhile,
   * so how often this looks decides nothing.
   */
  reached(run: Promise<unknown>, timeoutMs?: number): Promise<string>;
  /** Let the held call go on: the real command runs. Throws when no call waits (the Pi lost power since). */
  release(): void;
  /** Resolves once the released call's real command has finished, whichever way (the held script exits a moment later). */
  finished(timeoutMs: number): Promise<void>;
  /** Take the hold out of the Pi (its command is the real one again), releasing a call still held. */
  remove(): void;
}

const holdScript = join(import.meta.dirname, 'lab-hold.sh');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Hold container lab Pi `host` at one point: the next time root runs `command` there (as sudo
 * does, by its name on the PATH) with arguments matching `pattern` (a shell pattern for "$*"), the
 * call stops before the real command runs and waits for release(), or for the Pi to lose power.
 * A fault a test injects once reached() resolves lands there every time, however loaded this
 * machine is: the Pi cannot go past the point first. Every other call runs the real command.
 * Lab-only and test-side: lab-hold.sh is put in the running Pi's /usr/local/sbin (camfleet is not
 * changed, and no image has it); remove() takes it out.
 */
export function holdOnHost(host: LabHost, command: string, pattern: string): Hold {
  if (host.kind !== 'container') throw new Error(`${host.name}: holds are for container lab Pis, not ${host.kind}`);
  const root = containerRoot(host.name);
  if (!/^[a-z][a-z0-9_-]*$/.test(command) || ['mv', 'mkfifo', 'sh'].includes(command)) throw new Error(`cannot hold ${command}`);
  if (!existsSync(join(root, 'usr/bin', command))) throw new Error(`${host.name}: no /usr/bin/${command} to hold`);
  const dir = join(root, 'var/lib/camfleet-lab-hold', command);
  const shim = join(root, 'usr/local/sbin', command);
  const state = (name: string) => join(dir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(state('pattern'), `${pattern}\n`);
  writeFileSync(state('armed'), '');
  mkdirSync(join(root, 'usr/local/sbin'), { recursive: true });
  copyFileSync(holdScript, shim);
  let released = false;
  const what = `${host.name}: ${command} ${pattern}`;
  const release = () => {
    // A reader holds the FIFO open while a call waits: without one, opening it fails (ENXIO) at once.
    const fd = openSync(state('release'), constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      writeSync(fd, 'go\n');
    } finally {
      closeSync(fd);
    }
    released = true;
  };
  return {
    async reached(run, timeoutMs = 120_000) {
      let ended = false;
      void run.then(
        () => (ended = true),
        () => (ended = true),
      );
      for (const deadline = Date.now() + timeoutMs; ; await sleep(20)) {
        if (existsSync(state('held'))) return readFileSync(state('held'), 'utf8').trim();
        if (ended) throw new Error(`the run ended without reaching the hold (${what})`);
        if (Date.now() > deadline) throw new Error(`nothing reached the hold (${what}) within ${timeoutMs} ms`);
      }
    },
    release,
    async finished(timeoutMs) {
      for (const deadline = Date.now() + timeoutMs; !existsSync(state('done')); await sleep(50)) {
        if (Date.now() > deadline) throw new Error(`the released call (${what}) did not finish within ${timeoutMs} ms`);
      }
    },
    remove() {
      rmSync(shim, { force: true });
      if (!released && existsSync(state('held'))) {
        try {
          release();
        } catch {
          // its Pi lost power: nothing waits any more
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
