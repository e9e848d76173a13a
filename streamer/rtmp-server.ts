// Is the RTMP server listening? A TCP connect, so the supervisor can wait for nginx (restarted,
// or not up yet at boot) without spawning an ffmpeg that would only fail and grow the backoff.
import { connect } from 'node:net';

/** host and port of rtmp://host[:port]/app (RTMP's default port is 1935). */
export function rtmpEndpoint(url: string): { host: string; port: number } {
  const u = new URL(url.replace(/^rtmps?:/, 'http:'));
  // URL keeps IPv6 literals bracketed; net.connect wants them bare.
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: u.port ? Number(u.port) : 1935 };
}

/** True when a TCP connection to host:port opens within timeoutMs. */
export function serverListening(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
