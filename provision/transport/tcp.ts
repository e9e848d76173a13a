// The TCP connection under each SSH session: made by camfleet rather than by ssh2, to tune it,
// and dialed early for the first hosts of a run, while the rest of camfleet is still loading.
import { connect as netConnect, type Socket } from 'node:net';

/**
 * Connections dialed ahead of need, for one run: the run makes one and hands it to every connect.
 * The first hosts' sshd forks and greets while camfleet loads its SSH library and renders
 * (together ~50 ms of a no-op run).
 */
export interface Dialer {
  /** Start connecting now; connect() picks the socket up. */
  predial(host: string, port: number, timeoutMs: number): void;
  /** A connected socket: the one dialed early, or a new one. */
  connect(host: string, port: number, timeoutMs: number): Promise<Socket>;
  /** Hang up what was dialed for hosts the run never got to (a rollout stopped by failures). */
  hangUpUnused(): void;
}

export function newDialer(): Dialer {
  const dialed = new Map<string, Promise<Socket>>();
  const key = (host: string, port: number) => `${host}:${port}`;
  return {
    predial(host, port, timeoutMs) {
      if (dialed.has(key(host, port))) return;
      const socket = dial(host, port, timeoutMs);
      socket.catch(() => {}); // reported by connect(), when the run gets to this host
      dialed.set(key(host, port), socket);
    },
    connect(host, port, timeoutMs) {
      const early = dialed.get(key(host, port));
      dialed.delete(key(host, port));
      return early ?? dial(host, port, timeoutMs);
    },
    hangUpUnused() {
      for (const socket of dialed.values()) socket.then((s) => s.destroy(), () => {});
      dialed.clear();
    },
  };
}

/** Dials when asked, nothing ahead: for one-off connections (status, tools). */
export const dialNow: Pick<Dialer, 'connect'> = { connect: (host, port, timeoutMs) => dial(host, port, timeoutMs) };

/**
 * With TCP_NODELAY: without ssh2's optional native helper (not in the bundled CLI) a packet is
 * several small writes, and Nagle's algorithm held each one that awaits a reply back for the
 * peer's delayed ACK, ~40 ms a round trip and a quarter of a second per run. Connected before
 * ssh2 gets it, so connection errors are ours to report.
 */
function dial(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('Timed out while connecting'));
    }, timeoutMs);
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      // From here ssh2 listens for errors; one that comes before it does must not crash the run.
      socket.on('error', () => {});
      resolve(coalesceWrites(socket));
    });
  });
}

/**
 * The pieces ssh2 writes in one tick (a packet's length, body and tag, or several packets) leave
 * as one writev: with TCP_NODELAY each write would otherwise be a system call and a TCP segment
 * of its own, a third of camfleet's CPU per host in a fleet rollout.
 */
export function coalesceWrites(socket: Socket): Socket {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  let corked = false;
  socket.write = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(() => {
        corked = false;
        socket.uncork();
      });
    }
    return write(...args);
  }) as Socket['write'];
  return socket;
}
