// The origin's Prometheus exporter, run by systemd on an origin:
//   /usr/bin/node /opt/camfleet/origin-exporter.mjs --config /etc/camfleet/origin-exporter.json
// An origin runs no streamer, so this small process reads nginx-rtmp's statistics for each
// relaying camera on every scrape and answers on a Unix socket that nginx proxies /metrics to
// (behind access.metrics); between scrapes it only counts each camera's HLS viewers from the
// request lines nginx sends over loopback UDP. Bundled by origin-exporter/build.ts for Debian's
// Node 18: node: built-ins, contract/ and the streamer's HLS counting, host readings and logger.
import { chmodSync, existsSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { originMetrics, originSnapshot, validateOriginExporterConfig, type OriginExporterConfig } from '../contract/origin-metrics.ts';
import { exposition, expositionContentType } from '../contract/prometheus.ts';
import { parseRtmpStat } from '../contract/rtmp-stat.ts';
import { parseOriginHlsLogLine } from '../contract/hls-log.ts';
import { listenLoopbackLog, maxHlsClients, readLogDatagram, RecentClients } from '../streamer/hls-viewers.ts';
import { createLogger, type Logger } from '../streamer/log.ts';
import { fetchText } from '../streamer/fetch-text.ts';
import { readConfigVersion, readHost } from '../streamer/host-readings.ts';

const usage = 'usage: origin-exporter.mjs --config FILE\n';

function loadConfig(argv: string[]): OriginExporterConfig {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } }, strict: true });
  if (!values.config) throw new Error(`--config is required\n${usage}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(values.config, 'utf8'));
  } catch (e) {
    throw new Error(`${values.config}: ${(e as Error).message}`);
  }
  return validateOriginExporterConfig(raw, values.config);
}

/** Each relaying camera's HLS clients, from the origin's log (undefined while its port could not be had). */
function countHlsViewers(config: OriginExporterConfig, log: Logger): (camera: string) => number | undefined {
  const hlsLog = config.hlsLog;
  if (!hlsLog) return () => undefined;
  // One set per camera of the config, each bounded: a line for any other name is not kept.
  const byCamera = new Map(config.cameras.map((c) => [c, new RecentClients({ windowMs: hlsLog.windowMs, maxClients: maxHlsClients, now: () => performance.now() })]));
  const listener = listenLoopbackLog(hlsLog.port, (datagram) => readLogDatagram(datagram, parseOriginHlsLogLine, (r) => byCamera.get(r.camera)), log);
  return (camera) => (listener.bound() ? byCamera.get(camera)?.count() : undefined);
}

async function scrape(config: OriginExporterConfig, hlsViewers: (camera: string) => number | undefined): Promise<string> {
  // nginx not answering is said as stat_up 0.
  const [xml, host, configVersion] = await Promise.all([fetchText(config.statUrl), readHost(), config.versionFile ? readConfigVersion(config.versionFile) : undefined]);
  const snapshot = originSnapshot(config, xml === undefined ? undefined : parseRtmpStat(xml), hlsViewers, host);
  return exposition(originMetrics({ ...snapshot, configVersion }));
}

function main(): void {
  let config: OriginExporterConfig;
  try {
    config = loadConfig(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`camfleet origin exporter: ${(e as Error).message}\n`);
    // 2: systemd restarts us, and the journal says why every time.
    process.exitCode = 2;
    return;
  }
  const log = createLogger();
  const hlsViewers = countHlsViewers(config, log);
  // A socket left by an exporter that was killed would refuse the bind.
  if (existsSync(config.socket)) unlinkSync(config.socket);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    scrape(config, hlsViewers)
      .then((text) => res.writeHead(200, { 'Content-Type': expositionContentType }).end(text))
      .catch((e: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${e.message}\n`));
  });
  // nginx (www-data) connects to it; the exporter runs as a transient user of its own.
  server.listen(config.socket, () => {
    chmodSync(config.socket, 0o666);
    log('start', { socket: config.socket, cameras: config.cameras, hlsLogPort: config.hlsLog?.port ?? null });
  });
  const stop = (): void => void server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
