// The camera Pi's Prometheus endpoint, served by the streamer it describes (no process of its
// own: a Pi Zero's memory is tight). It listens on a Unix socket that nginx proxies /metrics on
// the statistics port to, behind access.metrics; while the streamer is down nginx serves a file
// saying so instead. Each scrape reads what it reports then: the streamer's own state, nginx-rtmp's
// statistics and camfleet-webrtc's viewer count over loopback, the HLS viewers it counts from
// nginx's request log (./hls-viewers.ts), and a few files of /proc and /sys.
// Nothing runs between scrapes but that count, woken by nginx's datagrams. Node 18 built-ins only
// (bundled for the Pi).
import { execFile } from 'node:child_process';
import { existsSync, chmodSync, unlinkSync } from 'node:fs';
import { open, readFile, readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { lookup } from 'node:dns/promises';
import { cameraMetrics, type CameraSnapshot } from '../contract/camera-metrics.ts';
import { exposition, expositionContentType } from '../contract/prometheus.ts';
import { parseRtmpStat } from '../contract/rtmp-stat.ts';
import { ingestStateDir, parseIngestState, type IngestState } from '../contract/ingest-status.ts';
import type { MetricsConfig } from '../contract/streamer-config.ts';
import type { StreamerSettings } from './config.ts';
import type { Logger } from './log.ts';
import { readConfigVersion, readHost } from './host-readings.ts';
import type { StatusReporter } from './status.ts';
import { fetchText } from './fetch-text.ts';
import type { Progress } from './supervisor.ts';

export interface MetricsSources {
  config: StreamerSettings & { metrics: MetricsConfig };
  status: StatusReporter;
  progress: () => Progress;
  /** systemd's NRestarts for the streamer, read once at start. */
  streamerRestarts?: number;
  /** HLS viewers now (streamer/hls-viewers.ts), when the config asks for them. */
  hlsViewers?: () => number | undefined;
}

/** Serve /metrics on the config's socket (readable and writable by nginx's user). */
export function serveMetrics(sources: MetricsSources, log: Logger): Server {
  const { socket } = sources.config.metrics;
  // A socket left by a streamer that was killed would refuse the bind.
  if (existsSync(socket)) unlinkSync(socket);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    collect(sources)
      .then((snapshot) => res.writeHead(200, { 'Content-Type': expositionContentType }).end(exposition(cameraMetrics(snapshot))))
      .catch((e: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${e.message}\n`));
  });
  server.on('error', (e) => log('metrics-failed', { socket, error: e.message }));
  // nginx (www-data) connects to it; the streamer runs as a transient user of its own.
  server.listen(socket, () => chmodSync(socket, 0o666));
  server.unref();
  return server;
}

/** Every reading for one scrape; one that cannot be had is left out. */
export async function collect(sources: MetricsSources): Promise<CameraSnapshot> {
  const { config, status } = sources;
  const m = config.metrics;
  const s = status.status;
  const p = sources.progress();
  const [stat, webrtc, version, temperatures, throttled, host, relay, ingests] = await Promise.all([
    fetchText(m.statUrl).then((xml) => (xml === undefined ? undefined : parseRtmpStat(xml))),
    m.whepStatusUrl ? fetchText(m.whepStatusUrl).then((t) => viewersOf(t)) : Promise.resolve(undefined),
    readConfigVersion(m.versionFile),
    thermalZones(),
    getThrottled(),
    readHost(),
    m.relay ? relayConnected(m.relay) : Promise.resolve(undefined),
    ingestStates(),
  ]);
  const stream = stat?.find((x) => x.application === config.server.split('/').at(-1) && x.name === config.streamKey);
  return {
    streamerUp: true,
    configVersion: version,
    state: s.state,
    encoder: s.encoder,
    configuredFps: config.fps,
    configuredBitrate: config.bitrate,
    fps: p.fps,
    // ffmpeg counts no bytes when it writes through the tee muxer (to nginx-rtmp and
    // camfleet-webrtc at once): then what nginx-rtmp measures arriving from it.
    bitrate: p.bitrate ?? stream?.bitrateIn,
    framesDropped: p.framesDropped,
    framesDuplicated: p.framesDuplicated,
    ffmpegRestarts: s.restarts,
    streamerRestarts: sources.streamerRestarts,
    streamerUptimeSeconds: Math.round(process.uptime()),
    // nginx's statistics: a stream nobody publishes has no entry, and so no viewers.
    viewers: { rtmp: stat ? (stream?.viewers ?? 0) : undefined, webrtc, hls: sources.hlsViewers?.() },
    rtmpBytesIn: stream?.bytesIn,
    rtmpBytesOut: stream?.bytesOut,
    relayConnected: relay,
    ingests,
    temperatures,
    throttled,
    ...host,
  };
}

function viewersOf(json: string | undefined): number | undefined {
  if (json === undefined) return undefined;
  try {
    const v = (JSON.parse(json) as { viewers?: unknown }).viewers;
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** camfleet-ingest's state files (none: the Pi has no external ingest, or the unit is not running). */
async function ingestStates(dir = ingestStateDir): Promise<IngestState[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const states = await Promise.all(names.filter((n) => n.endsWith('.state')).map((n) => readFile(`${dir}/${n}`, 'utf8').then(parseIngestState, () => undefined)));
  return states.filter((s): s is IngestState => s !== undefined).sort((a, b) => a.name.localeCompare(b.name));
}

/** /sys/class/thermal/thermal_zone*: each zone's type and temperature (millidegrees). */
async function thermalZones(): Promise<{ zone: string; celsius: number }[]> {
  const dir = '/sys/class/thermal';
  const names = await readdir(dir).catch(() => [] as string[]);
  const zones = await Promise.all(
    names
      .filter((n) => /^thermal_zone\d+$/.test(n))
      .map(async (n) => {
        try {
          const [type, temp] = await Promise.all([readFile(`${dir}/${n}/type`, 'utf8'), readFile(`${dir}/${n}/temp`, 'utf8')]);
          const milli = Number(temp.trim());
          return Number.isFinite(milli) ? [{ zone: type.trim() || n, celsius: milli / 1000 }] : [];
        } catch {
          return [];
        }
      }),
  );
  return zones.flat();
}

const vcgencmd = ['/usr/bin/vcgencmd', '/opt/vc/bin/vcgencmd'].find((p) => existsSync(p));

/** `vcgencmd get_throttled` -> its bit mask; undefined where there is no vcgencmd (not a Pi). */
function getThrottled(): Promise<number | undefined> {
  if (!vcgencmd) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile(vcgencmd, ['get_throttled'], { timeout: 2000 }, (error, stdout) => {
      const m = /throttled=(0x[0-9a-fA-F]+)/.exec(stdout);
      resolve(error || !m ? undefined : Number(m[1]));
    });
  });
}

/** Whether an established TCP connection to the origin's RTMP port exists (/proc/net/tcp). */
async function relayConnected(relay: { host: string; port: number }): Promise<boolean | undefined> {
  try {
    const { address } = await lookup(relay.host, { family: 4 });
    const table = await readProcFile('/proc/net/tcp');
    const want = `${procAddress(address)}:${relay.port.toString(16).toUpperCase().padStart(4, '0')}`;
    // Columns: sl local_address rem_address st ...; 01 is ESTABLISHED.
    return table.split('\n').some((line) => {
      const f = line.trim().split(/\s+/);
      return f[2] === want && f[3] === '01';
    });
  } catch {
    return undefined;
  }
}

/**
 * A /proc file read to its end. Such a file has size 0 and the kernel hands it out a page per
 * read; Debian's Node 18 readFile() stopped after the first page, so once /proc/net/tcp had grown
 * past a page (the scrapes' own closed connections) the relay's line was missed (seen on a lab Pi).
 */
export async function readProcFile(path: string): Promise<string> {
  const file = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const buffer = Buffer.alloc(65536);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return Buffer.concat(chunks).toString('utf8');
      chunks.push(buffer.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
}

/** An IPv4 address as /proc/net/tcp writes it: one little-endian hex word. */
export function procAddress(address: string): string {
  return address.split('.').map((b) => Number(b).toString(16).toUpperCase().padStart(2, '0')).reverse().join('');
}

/** NRestarts of the streamer's unit, as systemd counts them; undefined outside systemd. */
export function unitRestarts(unit: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('systemctl', ['show', '--property=NRestarts', '--value', unit], { timeout: 3000 }, (error, stdout) => {
      const n = Number(stdout.trim());
      resolve(error || stdout.trim() === '' || !Number.isInteger(n) ? undefined : n);
    });
  });
}
