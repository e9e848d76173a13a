// A lab stand-in for YouTube Live or a CDN's ingest: a real nginx-rtmp that admits one stream key
// (on_publish, checked by nginx's own http server), behind nginx's TLS `stream` proxy with a
// certificate from a lab CA made for the run. It listens on loopback and, when given one, on an
// address of a lab network (a lab Pi reaches it at 10.213.N.1): traffic stays on this machine.
// Tests and the bench start one as a non-daemon child of their process.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './processes.ts';
import { parseRtmpStat } from '../contract/rtmp-stat.ts';
import { nginxTempPaths, waitForPort } from './nginx-rtmp.ts';

const run = promisify(execFile);

export interface RtmpsIngest {
  /** The application publishers use, as YouTube's live2. */
  application: string;
  /** The stream key it admits. */
  key: string;
  /** RTMP port (plain), on loopback and the lab address. */
  rtmpPort: number;
  /** RTMPS port (TLS, then the same nginx-rtmp), on loopback and the lab address. */
  tlsPort: number;
  /** The lab CA's certificate (PEM), and its file. */
  caPem: string;
  caFile: string;
  /** The names its certificate is for. */
  names: string[];
  /** rtmps://<host>:<tlsPort>/<application> (no key). */
  rtmpsUrl(host: string): string;
  rtmpUrl(host: string): string;
  /** Where a probe on this machine plays what was published with the key. */
  playUrl(): string;
  /** Bytes received so far on the stream published with the key; undefined while nothing publishes it. */
  bytesIn(): Promise<number | undefined>;
  /** SIGSTOP / SIGCONT: it hangs, connections stall, then it carries on. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
  log(): string;
}

export interface RtmpsIngestOptions {
  key: string;
  /** The names the certificate is for (DNS SANs); default ingest.lab. */
  names?: string[];
  /** An address of this machine to listen on too (a lab network's, or another loopback one). */
  address?: string;
}

const modules = ['/usr/lib/nginx/modules/ngx_rtmp_module.so', '/usr/lib/nginx/modules/ngx_stream_module.so'];

export async function startRtmpsIngest(options: RtmpsIngestOptions): Promise<RtmpsIngest> {
  if (!/^[A-Za-z0-9_-]+$/.test(options.key)) throw new Error('the lab ingest takes keys of letters, digits, _ and - only');
  const missing = modules.find((m) => !existsSync(m));
  if (missing) throw new Error(`the lab ingest needs ${missing}: apt-get install libnginx-mod-rtmp libnginx-mod-stream (npm test installs them, from .ci/apt-packages)`);
  const names = options.names ?? ['ingest.lab'];
  const dir = await mkdtemp(join(tmpdir(), 'camfleet-ingest-'));
  const caFile = join(dir, 'ca.pem');
  await makeCertificates(dir, names);
  const [rtmpPort, tlsPort, authPort] = [await freePort(), await freePort(), await freePort()];
  const application = 'live2';
  const listens = ['127.0.0.1', ...(options.address ? [options.address] : [])];
  await writeFile(join(dir, 'nginx.conf'), conf(dir, listens, { rtmpPort, tlsPort, authPort }, application, options.key));

  let stderr = '';
  const proc: ChildProcess = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off; error_log stderr info;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    await Promise.race([
      Promise.all([rtmpPort, tlsPort, authPort].map((p) => waitForPort(p, 5000))),
      exited.then(() => Promise.reject(new Error(`the lab ingest's nginx exited:\n${stderr}`))),
    ]);
  } catch (e) {
    proc.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const caPem = await readFile(caFile, 'utf8');
  let stopped = false;
  return {
    application,
    key: options.key,
    rtmpPort,
    tlsPort,
    caPem,
    caFile,
    names,
    rtmpsUrl: (host) => `rtmps://${host}:${tlsPort}/${application}`,
    rtmpUrl: (host) => `rtmp://${host}:${rtmpPort}/${application}`,
    playUrl: () => `rtmp://127.0.0.1:${rtmpPort}/${application}/${options.key}`,
    bytesIn: async () => {
      const xml = await (await fetch(`http://127.0.0.1:${authPort}/stat`, { signal: AbortSignal.timeout(2000) })).text();
      return parseRtmpStat(xml).find((x) => x.name === options.key && x.publishing)?.bytesIn;
    },
    pause: () => void proc.kill('SIGSTOP'),
    resume: () => void proc.kill('SIGCONT'),
    log: () => stderr,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      proc.kill('SIGCONT');
      proc.kill('SIGKILL');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A CA and a server certificate signed by it for `names`, with openssl (ca-certificates brings it). */
async function makeCertificates(dir: string, names: string[]): Promise<void> {
  const at = (f: string) => join(dir, f);
  await run('openssl', ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '2', '-subj', '/CN=camfleet lab CA']);
  await run('openssl', ['req', '-newkey', 'ed25519', '-nodes', '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', `/CN=${names[0]}`]);
  // An address is an IP SAN: tests on loopback then need no name resolution (a bare Debian root has none for localhost).
  await writeFile(at('san.cnf'), `subjectAltName=${names.map((n) => (/^\d+\.\d+\.\d+\.\d+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',')}\n`);
  await run('openssl', ['x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('server.pem'), '-days', '2', '-extfile', at('san.cnf')]);
}

function conf(dir: string, listens: string[], ports: { rtmpPort: number; tlsPort: number; authPort: number }, application: string, key: string): string {
  const listen = (port: number, extra = '') => listens.map((a) => `listen ${a}:${port}${extra};`).join(' ');
  // One process, everything it writes in the temp dir.
  return `${modules.map((m) => `load_module ${m};`).join('\n')}
pid ${join(dir, 'nginx.pid')};
master_process off;
events { worker_connections 256; }
rtmp {
    server {
        ${listen(ports.rtmpPort)}
        # As a service's ingest does: a publisher whose link died is let go, so it can come back.
        drop_idle_publisher 5s;
        application ${application} {
            live on;
            # The key is the stream's name: nginx asks its own http server below (GET: the name in the query).
            notify_method get;
            on_publish http://127.0.0.1:${ports.authPort}/auth;
            allow play 127.0.0.1;
            deny play all;
        }
    }
}
stream {
    server {
        ${listen(ports.tlsPort, ' ssl')}
        ssl_certificate ${join(dir, 'server.pem')};
        ssl_certificate_key ${join(dir, 'server.key')};
        proxy_pass 127.0.0.1:${ports.rtmpPort};
    }
}
http {
    access_log off;
${nginxTempPaths(dir)}
    server {
        listen 127.0.0.1:${ports.authPort};
        location = /auth { if ($arg_name = "${key}") { return 200; } return 403; }
        location = /stat { rtmp_stat all; }
    }
}
`;
}
