// The origin's Prometheus exporter, run by systemd on an origin:
//   /usr/bin/node /opt/camfleet/origin-exporter.mjs --config /etc/camfleet/origin-exporter.json
// An origin runs no streamer, so this small process reads nginx-rtmp's statistics for each
// relaying camera on every scrape and answers on a Unix socket that nginx proxies /metrics to
// (behind access.metrics). Nothing runs between scrapes. Bundled by origin-exporter/build.ts for
// Debian's Node 18: node: built-ins and contract/ only.
import { chmodSync, existsSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { originMetrics, originSnapshot, validateOriginExporterConfig, type OriginExporterConfig } from '../contract/origin-metrics.ts';
import { exposition, expositionContentType } from '../contract/prometheus.ts';
import { parseRtmpStat } from '../contract/rtmp-stat.ts';

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

/** nginx-rtmp's statistics page, or undefined when nginx does not answer (said as stat_up 0). */
async function fetchStat(url: string): Promise<string | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return r.ok ? await r.text() : undefined;
  } catch {
    return undefined;
  }
}

async function scrape(config: OriginExporterConfig): Promise<string> {
  const xml = await fetchStat(config.statUrl);
  return exposition(originMetrics(originSnapshot(config, xml === undefined ? undefined : parseRtmpStat(xml))));
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
  // A socket left by an exporter that was killed would refuse the bind.
  if (existsSync(config.socket)) unlinkSync(config.socket);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    scrape(config)
      .then((text) => res.writeHead(200, { 'Content-Type': expositionContentType }).end(text))
      .catch((e: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${e.message}\n`));
  });
  // nginx (www-data) connects to it; the exporter runs as a transient user of its own.
  server.listen(config.socket, () => {
    chmodSync(config.socket, 0o666);
    process.stdout.write(`camfleet origin exporter: serving /metrics on ${config.socket} for ${config.cameras.length} camera(s)\n`);
  });
  const stop = (): void => void server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
