// A host on this machine, for tests without a lab Pi: the same .sh scripts, run by `sh -s` inside
// bubblewrap (Debian's `bwrap`) with a private root (without root privileges, a user namespace
// maps the caller to root inside). The machine's programs (/usr) are seen read-only; /etc
// starts as a copy of this machine's, and /opt, /var, /run, /tmp are the sandbox's own, so a
// script that writes /etc/nginx/nginx.conf writes the sandbox's. A network namespace of its own:
// nothing listens there unless the sandbox starts it. What a sandbox cannot have (a running
// systemd) the caller supplies as fakes on PATH, named as such.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heartbeatMs, type ExecResult, type Held, type Remote } from './remote.ts';

export interface LocalHost extends Remote {
  /** This host's root as seen from outside: `${root}/etc/nginx/nginx.conf` is its /etc/nginx/nginx.conf. */
  root: string;
}

export interface LocalHostOptions {
  /** A folder of fake programs put first on the sandbox's PATH (it is seen at /fakes). */
  fakes?: string;
}

const secretFile = /^\/etc\/(g?shadow-?|ssh\/ssh_host_[^/]*_key|ssl\/private)$/;

/** Why a local host cannot run here, or undefined when it can. */
export function localHostUnavailable(): string | undefined {
  return existsSync('/usr/bin/bwrap') ? undefined : 'bubblewrap is not installed (bash .ci/run installs it)';
}

/** A fresh local host named `name`: its root is a new temp folder, removed by close(). */
export function localHost(name: string, options: LocalHostOptions = {}): LocalHost {
  const root = mkdtempSync(join(tmpdir(), `camfleet-local-${name}-`));
  // This machine's /etc as the host's start (passwd, alternatives, nginx's own files, ...), less its
  // secrets (password hashes, private keys) and what this process cannot read: nothing camfleet runs needs them.
  cpSync('/etc', join(root, 'etc'), { recursive: true, verbatimSymlinks: true, filter: (src) => !secretFile.test(src) && readable(src) });
  // /var as this machine's packages left it, folders only (nginx -t wants /var/lib/nginx, /var/log/nginx).
  for (const dir of ['var/lib', 'var/log']) cpSync(`/${dir}`, join(root, dir), { recursive: true, filter: (src) => isFolder(src) && !src.startsWith('/var/lib/dpkg/') });
  for (const dir of ['opt', 'var/www', 'var/lib/dpkg', 'run', 'tmp']) mkdirSync(join(root, dir), { recursive: true });
  // Run by root, the sandbox's root is root: `nginx -t` chowns its folders to www-data, which a
  // user namespace made without root (one uid mapped) cannot. Without root, the caller is mapped
  // to root: everything but such a chown works.
  const user = process.getuid?.() === 0 ? [] : ['--unshare-user', '--uid', '0', '--gid', '0'];
  const args = [
    ...user,
    '--unshare-net', '--unshare-pid', '--unshare-ipc', '--die-with-parent',
    '--ro-bind', '/usr', '/usr',
    '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/sbin', '/sbin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64',
    '--bind', join(root, 'etc'), '/etc',
    '--bind', join(root, 'opt'), '/opt',
    '--bind', join(root, 'var'), '/var',
    // dpkg's database: what this machine has installed is what the host has installed.
    '--ro-bind', '/var/lib/dpkg', '/var/lib/dpkg',
    '--bind', join(root, 'run'), '/run',
    '--bind', join(root, 'tmp'), '/tmp',
    '--proc', '/proc', '--dev', '/dev',
    ...(options.fakes ? ['--ro-bind', options.fakes, '/fakes'] : []),
    '--clearenv',
    '--setenv', 'PATH', `${options.fakes ? '/fakes:' : ''}/usr/sbin:/usr/bin`,
    '--setenv', 'HOME', '/root',
    'sh', '-s',
  ];
  const held: ChildProcess[] = [];
  return {
    host: name,
    root,
    run: (script) => runIn(args, script),
    hold: (script) => holdIn(args, script, held),
    close: async () => {
      await Promise.all(held.map(endInput));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function isFolder(path: string): boolean {
  try {
    return lstatSync(path).isDirectory() && readable(path);
  } catch {
    return false;
  }
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function runIn(args: string[], script: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bwrap', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ stdout, stderr, code, signal }));
    child.stdin.end(script);
  });
}

/** A held script ends at the end of its input, as over SSH when the connection closes. */
function endInput(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('close', () => done());
    child.stdin?.end();
  });
}

function holdIn(args: string[], script: string, held: ChildProcess[]): Promise<Held> {
  return new Promise((resolve, reject) => {
    const child = spawn('bwrap', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    held.push(child);
    let stdout = '';
    let stderr = '';
    let heartbeat: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      if (heartbeat || !stdout.includes('\n')) return;
      heartbeat = setInterval(() => child.stdin.write('\n'), heartbeatMs).unref();
      resolve({ held: true });
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    // A heartbeat after the script has ended is nobody's business.
    child.stdin.on('error', () => undefined);
    child.once('close', (code, signal) => {
      clearInterval(heartbeat);
      resolve({ held: false, result: { stdout, stderr, code, signal } });
    });
    child.stdin.write(script);
  });
}
