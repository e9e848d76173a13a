// The streamer's entry point, run by systemd on the Pi:
//   /usr/bin/node /opt/camfleet/streamer.mjs --config $CREDENTIALS_DIRECTORY/streamer.json \
//     --stream-key-file $CREDENTIALS_DIRECTORY/stream-key
// Bundled by streamer/build.ts into one file for Debian's Node 18: node: built-ins only.
import { ConfigError, loadConfig, parseFlags, rtmpUrl, usage, type StreamerSettings } from './config.ts';
import { redactUrl } from '../contract/streamer-config.ts';
import { createLogger } from './log.ts';
import { StatusReporter } from './status.ts';
import { Supervisor } from './supervisor.ts';
import { serveMetrics, unitRestarts } from './metrics.ts';
import { listenHlsLog } from './hls-viewers.ts';
import { startWatchdog } from './watchdog.ts';

/** systemd's TimeoutStopSec is 5 s; we promise 2. */
const exitDeadlineMs = 1900;

function main(): void {
  let config: StreamerSettings;
  try {
    const flags = parseFlags(process.argv.slice(2));
    if (flags.help) {
      process.stdout.write(usage);
      return;
    }
    config = loadConfig(flags);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    createLogger()('config-error', { error: e.message });
    process.stderr.write(`camfleet streamer: ${e.message}\n`);
    // 2: systemd restarts us, and the journal says why every time.
    process.exitCode = 2;
    return;
  }

  // The stream key may be a secret. It is never logged as a field; where it shows up inside
  // other text (ffmpeg's argv and errors name the URL it publishes to) the key is masked.
  const { streamKey, ...logged } = config;
  const url = rtmpUrl(config);
  const redact = (text: string): string => redactUrl(text, url);
  const log = createLogger(redact);
  const status = new StatusReporter(config.statusFile, log, redact);
  status.refreshEvery(30_000);
  log('start', { ...logged, node: process.version, pid: process.pid });

  const supervisor = new Supervisor({ config, log, status });
  const metrics = config.metrics;
  if (metrics) {
    // Listening from the start: a viewer's requests count before the first scrape.
    const hls = metrics.hlsLog ? listenHlsLog(metrics.hlsLog, log) : undefined;
    // systemd's restart count is read once: it changes only by starting a new streamer.
    void unitRestarts('camfleet-streamer.service').then((streamerRestarts) =>
      serveMetrics({ config: { ...config, metrics }, status, progress: () => supervisor.progress, streamerRestarts, hlsViewers: hls?.count }, log),
    );
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log('signal', { signal });
    // Whatever happens, we are gone before systemd has to SIGKILL us.
    setTimeout(() => process.exit(1), exitDeadlineMs).unref();
    void supervisor.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', stop);
  let crashed = false;
  const crash = (e: unknown): void => {
    if (crashed) return;
    crashed = true;
    log('crashed', { error: e instanceof Error ? e.stack : String(e) });
    // Take ffmpeg down too: an orphan would hold the camera ("Device or resource busy") against
    // the streamer systemd restarts.
    setTimeout(() => process.exit(1), exitDeadlineMs).unref();
    void supervisor.stop().finally(() => process.exit(1));
  };
  process.on('uncaughtException', crash);
  supervisor.run().catch(crash);
  // Last: only a streamer that got this far tells systemd it is alive.
  startWatchdog({ log });
}

main();
