// HLS viewers, counted from nginx's request log (contract/hls-log.ts): HLS is plain HTTP, so a
// viewer is a client that fetched the playlist or a fragment within the window (a player re-fetches
// the playlist every target duration). nginx sends each request as a syslog datagram to a loopback
// UDP port: nothing is written to the SD card and no process is added. Datagrams sent while the
// streamer is down are lost, which only makes the count start from 0.
import { createSocket, type Socket } from 'node:dgram';
import { hlsClient, hlsLogMaxBytes, parseHlsLogLine, servedStream, type HlsRequest } from '../contract/hls-log.ts';
import type { Logger } from './log.ts';

/**
 * At most this many clients are remembered: a client that invents a User-Agent per request cannot
 * grow the streamer's memory, only push the count to this bound (far above what a Pi can serve).
 */
export const maxHlsClients = 1024;

export interface RecentClientsOptions {
  windowMs: number;
  maxClients: number;
  /** Milliseconds, monotonic. */
  now: () => number;
}

/** Clients seen within the window: each with when it was last seen, the least recent first. */
export class RecentClients {
  // A Map keeps insertion order: re-inserting on each sighting keeps it ordered by last seen, so
  // expiry and eviction both look only at its front.
  private readonly seen = new Map<string, number>();
  constructor(private readonly options: RecentClientsOptions) {}

  saw(client: string): void {
    this.seen.delete(client);
    this.seen.set(client, this.options.now());
    this.expire();
    if (this.seen.size > this.options.maxClients) this.seen.delete(this.seen.keys().next().value as string);
  }

  count(): number {
    this.expire();
    return this.seen.size;
  }

  private expire(): void {
    const oldest = this.options.now() - this.options.windowMs;
    for (const [client, at] of this.seen) {
      if (at >= oldest) break;
      this.seen.delete(client);
    }
  }
}

/** One datagram's bytes, counted when it is nginx's line for a request that served the stream. */
export function readDatagram(clients: RecentClients, datagram: Buffer): 'counted' | 'ignored' | 'malformed' {
  return readLogDatagram(datagram, parseHlsLogLine, () => clients);
}

/**
 * One datagram read with `parse` (a camera Pi's line or an origin's), its client counted in the
 * set `clientsOf` gives for it; none (an origin's line for a camera it does not serve): ignored.
 */
export function readLogDatagram<R extends HlsRequest>(datagram: Buffer, parse: (text: string) => R | undefined, clientsOf: (request: R) => RecentClients | undefined): 'counted' | 'ignored' | 'malformed' {
  if (datagram.length > hlsLogMaxBytes) return 'malformed';
  const request = parse(datagram.toString('latin1'));
  if (!request) return 'malformed';
  const clients = clientsOf(request);
  if (!clients || !servedStream(request)) return 'ignored';
  clients.saw(hlsClient(request));
  return 'counted';
}

export interface HlsViewers {
  /** Viewers now; undefined while the port could not be had. */
  count: () => number | undefined;
  close: () => void;
}

/** Listen on 127.0.0.1:port (udp4) for nginx's HLS log and count its clients. */
export function listenHlsLog(options: { port: number; windowMs: number }, log: Logger): HlsViewers {
  const clients = new RecentClients({ windowMs: options.windowMs, maxClients: maxHlsClients, now: () => performance.now() });
  const listener = listenLoopbackLog(options.port, (datagram) => readDatagram(clients, datagram), log);
  return { count: () => (listener.bound() ? clients.count() : undefined), close: listener.close };
}

/**
 * Listen on 127.0.0.1:port (udp4) for nginx's log datagrams, each handed to `read`. The origin's
 * exporter listens for its own log the same way (origin-exporter/).
 */
export function listenLoopbackLog(port: number, read: (datagram: Buffer) => 'counted' | 'ignored' | 'malformed', log: Logger): { bound: () => boolean; close: () => void } {
  const socket: Socket = createSocket('udp4');
  let bound = false;
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    bound = false;
    socket.close();
  };
  let reportedMalformed = false;
  socket.on('message', (datagram, from) => {
    // Bound to loopback already; only nginx on this Pi is meant to send.
    if (from.address !== '127.0.0.1') return;
    // Said once per run: a format that drifted from the parser shows in the journal, a flood does not.
    if (read(datagram) === 'malformed' && !reportedMalformed) {
      reportedMalformed = true;
      log('hls-log-malformed', { bytes: datagram.length });
    }
  });
  socket.on('error', (e) => {
    log('hls-log-failed', { port, error: e.message });
    close();
  });
  socket.bind({ address: '127.0.0.1', port }, () => (bound = true));
  socket.unref();
  return { bound: () => bound, close };
}
