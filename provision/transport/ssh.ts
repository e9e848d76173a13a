// One SSH connection per host (node-ssh), strict host-key checking by default, key or agent auth.
// Scripts run as root through `sudo -n sh -s` with the script on stdin.
import { existsSync } from 'node:fs';
import { NodeSSH, type Config } from 'node-ssh';
import type { AnyAuthMethod, ClientChannel } from 'ssh2';
import { ConnectionLost, HostError, UnreachableError } from './host-error.ts';
import { heartbeatMs, q, type ExecResult, type Held, type Remote } from './remote.ts';
import type { ResolvedHost } from '../core/types.ts';
import { loadIdentity } from './identity.ts';
import { dialNow, type Dialer } from './tcp.ts';
import { keyTypeOf, knownHostsName, readKnownKeys, recordKnownKey, type KnownKey } from './known-hosts.ts';

export interface ConnectOptions {
  /** Accept and record an unknown host key (never a changed one). */
  trustNewHostKeys?: boolean;
  /** Give up connecting after this long. */
  timeoutMs?: number;
  /** Told when a new host key was recorded. */
  onKeyRecorded?: (message: string) => void;
  /** The run's early connections (tcp.ts); without one, each connect dials then. */
  dialer?: Pick<Dialer, 'connect'>;
}

/** ssh2's names for host-key algorithms, by the key types known_hosts lists. */
const hostKeyAlgorithms: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

export async function connect(host: ResolvedHost, options: ConnectOptions = {}): Promise<Remote> {
  const { address, ssh: s } = host;
  const jump = s.jump ? parseJump(s.jump, s.user) : undefined;
  const jumpConnection = jump ? await open(host.name, jump.host, jump.port, jump.user, host, options) : undefined;
  try {
    const sock = jumpConnection ? await jumpConnection.forwardOut('127.0.0.1', 0, address, s.port) : undefined;
    const conn = await open(host.name, address, s.port, s.user, host, options, sock);
    return sshRemote(host.name, conn, s.user === 'root', jumpConnection);
  } catch (e) {
    jumpConnection?.dispose();
    throw e;
  }
}

async function open(
  name: string,
  address: string,
  port: number,
  user: string,
  host: ResolvedHost,
  options: ConnectOptions,
  sock?: Config['sock'],
): Promise<NodeSSH> {
  const knownHostsFile = host.ssh.knownHostsFile;
  const known = await readKnownKeys(knownHostsFile, address, port);
  if (!known.length && !options.trustNewHostKeys)
    throw new UnreachableError(
      name,
      `host key of ${knownHostsName(address, port)} is not in ${knownHostsFile}; check it and add it ` +
        // A command the operator pastes into a shell: every value quoted for it.
        `(ssh-keyscan -p ${port} ${q(address)} >> ${q(knownHostsFile)}), or run once with --trust-new-host-keys`,
    );
  let rejection: string | undefined;
  let recorded: { type: string; blob: string } | undefined;
  const verify = (key: Buffer): boolean => {
    const blob = key.toString('base64');
    const type = keyTypeOf(key);
    const match = known.find((k) => k.blob === blob);
    if (match?.revoked) return (rejection = `host key of ${address} is marked @revoked in ${knownHostsFile}`), false;
    if (match) return true;
    if (known.length) {
      rejection =
        `HOST KEY MISMATCH for ${knownHostsName(address, port)}: the ${type} key it presents is not the one in ` +
        `${knownHostsFile}. The host was reinstalled, or someone is in the middle. If you know why, remove the old ` +
        `line (ssh-keygen -R ${knownHostsName(address, port)} -f ${knownHostsFile}) and connect again.`;
      return false;
    }
    recorded = { type, blob };
    return true;
  };

  const conn = new NodeSSH();
  const agent = process.env.SSH_AUTH_SOCK;
  const identity = host.ssh.identityFile;
  if (identity && !existsSync(identity) && !agent)
    throw new UnreachableError(name, `identity file ${identity} does not exist and no ssh-agent is running (SSH_AUTH_SOCK)`);
  const timeoutMs = options.timeoutMs ?? 15_000;
  try {
    await conn.connect({
      sock: sock ?? (await (options.dialer ?? dialNow).connect(address, port, timeoutMs)),
      username: user,
      authHandler: await authMethods(user, identity && existsSync(identity) ? identity : undefined, agent),
      readyTimeout: timeoutMs,
      // A link that goes silent (Wi-Fi gone, Pi off) would otherwise hang a step for ever: after
      // three unanswered keepalives five seconds apart the connection counts as lost.
      keepaliveInterval: 5000,
      keepaliveCountMax: 3,
      hostVerifier: verify,
      algorithms: {
        ...(known.length ? { serverHostKey: algorithmsFor(known) as never } : {}),
        // AES-GCM runs in node's native crypto; ssh2 otherwise favours chacha20-poly1305, which it
        // computes in JavaScript when its optional native helper is not built.
        cipher: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes256-ctr'] as never,
      },
    });
  } catch (e) {
    conn.dispose();
    throw new UnreachableError(name, rejection ?? describeConnectError(e as Error, address, port, user));
  }
  if (recorded) {
    await recordKnownKey(knownHostsFile, address, port, recorded.type, recorded.blob);
    options.onKeyRecorded?.(`${name}: trusted new ${recorded.type} host key of ${knownHostsName(address, port)}, recorded in ${knownHostsFile}`);
  }
  return conn;
}

/** The key file, then the agent; without ssh2's opening 'none' attempt (a round trip per host). */
async function authMethods(username: string, identity: string | undefined, agent: string | undefined): Promise<AnyAuthMethod[]> {
  const methods: AnyAuthMethod[] = [];
  if (identity) methods.push({ type: 'publickey', username, key: await loadIdentity(identity) });
  if (agent) methods.push({ type: 'agent', username, agent });
  return methods;
}

function algorithmsFor(known: KnownKey[]): string[] {
  return [...new Set(known.flatMap((k) => hostKeyAlgorithms[k.type] ?? [k.type]))];
}

function describeConnectError(e: Error, address: string, port: number, user: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return `connection refused by ${address}:${port} (is sshd running?)`;
  // EINVAL is what connect(2) says to an address behind a blackhole route.
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EINVAL') return `no route to ${address}`;
  if (code === 'ENOTFOUND') return `cannot resolve ${address}`;
  if (/Timed out/i.test(e.message)) return `timed out connecting to ${address}:${port}`;
  if (/authentication methods failed/i.test(e.message)) return `${user}@${address} refused our key (check ssh.user and ssh.identityFile)`;
  return e.message;
}

function parseJump(jump: string, defaultUser: string): { user: string; host: string; port: number } {
  const m = /^(?:([^@]+)@)?([^:]+)(?::(\d+))?$/.exec(jump)!;
  return { user: m[1] ?? defaultUser, host: m[2]!, port: Number(m[3] ?? 22) };
}

function sshRemote(host: string, conn: NodeSSH, isRoot: boolean, jump?: NodeSSH): Remote {
  // The command line is a constant; everything variable travels inside the script on stdin.
  // sudo drops the environment, so the login shell hands $SSH_CONNECTION over as $1.
  const command = `${isRoot ? '' : 'sudo -n '}/bin/sh -s "$SSH_CONNECTION"`;
  // Why the connection ended, once it has. Listening also keeps a late 'error' (a keepalive
  // timeout between two steps) from being an unhandled event that ends the whole process.
  let lost: string | undefined;
  for (const c of [conn, jump]) {
    c?.connection?.on('error', (e: Error) => (lost ??= e.message));
    c?.connection?.on('close', () => (lost ??= 'the connection closed'));
  }
  return {
    host,
    async run(script: string): Promise<ExecResult> {
      if (lost) throw new ConnectionLost(host, 'ssh', lost);
      const r = await conn.execCommand(command, { stdin: script }).catch((e: Error) => {
        throw new ConnectionLost(host, 'ssh', lost ?? e.message);
      });
      // sshd always reports how a command ended, by status or by signal; neither means it was cut off.
      if (r.code === null && !r.signal) throw new ConnectionLost(host, 'ssh', lost ?? 'the channel closed without an exit status');
      if (r.code !== 0 && /sudo: (a password is required|a terminal is required)/.test(r.stderr))
        throw new HostError(host, 'sudo', 'the SSH user needs passwordless sudo (as on Raspberry Pi OS)', r.stderr);
      return { stdout: r.stdout, stderr: r.stderr, code: r.code, signal: r.signal };
    },
    async hold(script: string): Promise<Held> {
      if (lost) throw new ConnectionLost(host, 'ssh', lost);
      const channel = await new Promise<ClientChannel>((resolve, reject) =>
        conn.connection!.exec(command, (e, ch) => (e ? reject(new ConnectionLost(host, 'ssh', lost ?? e.message)) : resolve(ch))),
      );
      const held = await holdChannel(channel, script);
      if (!held.held && held.result.code === null && !held.result.signal) throw new ConnectionLost(host, 'ssh', lost ?? 'the channel closed without an exit status');
      return held;
    },
    async close() {
      conn.dispose();
      jump?.dispose();
    },
  };
}

/** Send `script` on an open channel and leave it running, a heartbeat on its input, until the connection ends. */
function holdChannel(channel: ClientChannel, script: string): Promise<Held> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let code: number | null = null;
    let signal: string | null = null;
    let heartbeat: NodeJS.Timeout | undefined;
    channel.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (heartbeat || !stdout.includes('\n')) return;
      // Unref'd: a held script never keeps camfleet running; the connection's end releases it.
      heartbeat = setInterval(() => channel.write('\n'), heartbeatMs).unref();
      resolve({ held: true });
    });
    channel.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    channel.on('exit', (c: number | null, s?: string) => {
      code = c;
      signal = s ?? null;
    });
    channel.on('close', () => {
      clearInterval(heartbeat);
      resolve({ held: false, result: { stdout, stderr, code, signal } });
    });
    channel.write(script);
  });
}
