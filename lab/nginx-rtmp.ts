// A real nginx with the RTMP module, on loopback, as a non-daemon child of the test process.
// Tests and benchmarks start one, publish and play through it, kill it and bring it back.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishUrl } from '../contract/streamer-config.ts';
import { freePort } from './processes.ts';

export interface NginxRtmp {
  /** RTMP port on 127.0.0.1. */
  port: number;
  /** HTTP port on 127.0.0.1 serving rtmp_stat at /stat. */
  statPort: number;
  /** rtmp://127.0.0.1:<port>/<application>: where the streamer publishes (its `server`). */
  server: string;
  /** rtmp://127.0.0.1:<port>/<application>/<key> */
  url(key: string): string;
  /** Graceful stop (SIGQUIT, then SIGKILL after a second); removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, as if it crashed: publishers and players lose their connections. */
  kill(): Promise<void>;
  /** Start it again on the same ports (after kill()). */
  restart(): Promise<void>;
  /** Everything nginx wrote to stderr so far, for failure messages. */
  log(): string;
  /** With `hls`: the folder served at http://127.0.0.1:<statPort>/ (pages a browser opens); HLS is at /hls/<key>.m3u8. */
  www: string;
}

export interface NginxRtmpOptions {
  /** RTMP application name; default `live`. */
  application?: string;
  /** Also write HLS (one-second fragments, as a Pi's viewer does) and serve it and `www` over HTTP. */
  hls?: boolean;
}

const modulePath = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

export async function startNginxRtmp(options: NginxRtmpOptions = {}): Promise<NginxRtmp> {
  const application = options.application ?? 'live';
  const dir = await mkdtemp(join(tmpdir(), 'camfleet-nginx-'));
  const port = await freePort();
  const statPort = await freePort();
  const www = join(dir, 'www');
  await mkdir(www);
  await writeFile(join(dir, 'nginx.conf'), nginxConf(dir, port, statPort, application, options.hls === true));

  let child: ChildProcess | undefined;
  let stderr = '';
  let removed = false;

  const launch = async (): Promise<void> => {
    const proc = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off; error_log stderr;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    proc.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    // Listening on both ports means it is ready; exiting first means it failed (bad conf, port taken).
    const ready = Promise.all([waitForPort(port, 5000), waitForPort(statPort, 5000)]).then(
      () => 'ready' as const,
      (e: Error) => ({ error: e.message }),
    );
    const outcome = await Promise.race([ready, exited.then((code) => ({ error: `nginx exited with ${code} before listening` }))]);
    if (outcome !== 'ready') {
      proc.kill('SIGKILL');
      throw new Error(`${outcome.error}:\n${stderr}`);
    }
  };

  const waitExit = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  return {
    port,
    statPort,
    server: `rtmp://127.0.0.1:${port}/${application}`,
    url: (key) => publishUrl(`rtmp://127.0.0.1:${port}/${application}`, key),
    log: () => stderr,
    www,
    kill: () => waitExit('SIGKILL', 0),
    restart: async () => {
      await waitExit('SIGKILL', 0);
      await launch();
    },
    stop: async () => {
      await waitExit('SIGQUIT', 1000);
      if (!removed) {
        removed = true;
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

function nginxConf(dir: string, port: number, statPort: number, application: string, hls: boolean): string {
  // Everything nginx writes lives in the temp dir: it runs as root here, but touches nothing else.
  return `load_module ${modulePath};
pid ${join(dir, 'nginx.pid')};
# One process: kill() then really kills everything (an orphaned worker would keep the port open).
master_process off;
events { worker_connections 256; }

rtmp {
    server {
        listen 127.0.0.1:${port};
        chunk_size 4096;
        # A publisher whose connection died silently must not block the next one for long.
        drop_idle_publisher 10s;
        application ${application} {
            live on;
            record off;${hls ? `
            hls on;
            hls_path ${join(dir, 'hls')};
            hls_fragment 1s;
            hls_playlist_length 4s;` : ''}
        }
    }
}

http {
    access_log off;
${nginxTempPaths(dir)}
    server {
        listen 127.0.0.1:${statPort};
        location /stat { rtmp_stat all; }${hls ? `
        types { text/html html; text/javascript js; application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
        location / { root ${join(dir, 'www')}; }
        location /hls/ { alias ${join(dir, 'hls')}/; add_header Cache-Control no-cache; }` : ''}
    }
}
`;
}

/** An http block's temp paths, in `dir`: nginx, run as root here, writes nowhere else. */
export function nginxTempPaths(dir: string): string {
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${join(dir, t)};`).join('\n');
}

/** Until something listens on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
