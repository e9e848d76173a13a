// Prometheus metrics (contract/camera-metrics.ts) on every camera Pi: /metrics on the statistics
// port, for the addresses in access.metrics. The streamer serves them (streamer/metrics.ts) on a
// Unix socket nginx proxies to; while it is down, nginx serves a file written here that says so,
// so "camera down" is a metric rather than a failed scrape. An origin exports its own
// (origin-exporter.ts). On every host, camera Pi or origin, the file holding camfleet's version of
// its config, which the streamer or the exporter exports as camfleet_config_info.
import { createHash } from 'node:crypto';
import { cameraMetrics } from '../../../contract/camera-metrics.ts';
import type { MetricsConfig } from '../../../contract/streamer-config.ts';
import { exposition } from '../../../contract/prometheus.ts';
import { managedMarker, type ResolvedHost } from '../types.ts';
import { paths } from '../render/paths.ts';
import { lineFile } from '../render/formats.ts';
import { hlsFragmentMs, hlsLogPort, hlsViewerWindowMs, webrtcPorts } from '../render/viewer.ts';
import { hlsLogTag, originHlsLogTag } from '../../../contract/hls-log.ts';
import { absentFiles, contentFile, type Part } from './part.ts';
import { originExporterPaths, originExporterUnit } from './origin-exporter.ts';

export const metricsPaths = {
  /** Where the streamer serves /metrics; in its RuntimeDirectory, gone while it is stopped. */
  socket: '/run/camfleet/metrics.sock',
  /** What nginx answers /metrics with while the streamer is down. */
  down: '/etc/camfleet/metrics-down.prom',
  /** camfleet's version of this host's config, one line. */
  version: paths.configVersion,
} as const;

/** The scrape path on the statistics port (stream.statPort). */
export const metricsPath = '/metrics';

export const metrics: Part = {
  name: 'metrics',
  packages: [],
  // Every host has a config version; what differs is who exports it.
  enabled: () => true,
  on: ({ host, streamerBundle, viewerAssets, originExporter, wallAssets }) => {
    // What the host runs and serves: a camera Pi's streamer and pages, an origin's exporter, wall and camera pages.
    const programs = host.origin ? [originExporter ?? '', JSON.stringify(wallAssets ?? {}), JSON.stringify(viewerAssets)] : [programsDigest(streamerBundle, viewerAssets)];
    const version = contentFile(metricsPaths.version, lineFile(`${managedMarker}: camfleet's version of this host's config, exported as camfleet_config_info.`, configVersion(host, programs)));
    // An origin runs no streamer (a camera turned origin loses its streamer-down file).
    if (host.origin) return { files: [version], absent: absentFiles([metricsPaths.down]) };
    // The same on every Pi and for every config: a change of settings rewrites only the version file.
    const down = exposition(cameraMetrics({ streamerUp: false }));
    // A `#` line that is not HELP or TYPE is a comment in the exposition format: the marker fits.
    return { files: [version, contentFile(metricsPaths.down, `# ${managedMarker}: served by nginx while camfleet-streamer is down.\n${down}`)] };
  },
  off: () => ({}),
};

/** What the streamer reads its metrics from (streamer.json's `metrics`): all on the Pi's loopback. */
export function streamerMetricsConfig(host: ResolvedHost): MetricsConfig {
  return {
    socket: metricsPaths.socket,
    statUrl: `http://127.0.0.1:${host.stream.statPort}/stat`,
    // Whether or not the Pi offers WebRTC (no count comes back when it does not): turning the
    // viewer's paths on and off leaves streamer.json, and so the streamer, alone.
    whepStatusUrl: `http://127.0.0.1:${webrtcPorts.whep}/whep/status`,
    ...(host.relay ? { relay: { host: host.relay.address, port: host.relay.port } } : {}),
    versionFile: metricsPaths.version,
    // Like whepStatusUrl, whether or not the Pi offers HLS: the count is 0 while nothing is sent.
    hlsLog: { port: hlsLogPort, windowMs: hlsViewerWindowMs(hlsFragmentMs(host)) },
  };
}

/** What the statistics server (templates/_nginx-stat.hbs) reads under `metrics`: on an origin, its exporter's (parts/origin-exporter.ts). */
export function metricsTemplateContext(host: ResolvedHost) {
  return host.origin
    ? { socket: originExporterPaths.socket, down: originExporterPaths.down, path: metricsPath, service: originExporterUnit, hlsLog: { port: hlsLogPort, tag: originHlsLogTag } }
    : { socket: metricsPaths.socket, down: metricsPaths.down, path: metricsPath, service: 'camfleet-streamer.service', hlsLog: { port: hlsLogPort, tag: hlsLogTag } };
}

/**
 * The programs' digest, taken once per build rather than once per host: hashing the bundles (a few
 * megabytes) for each host was most of the time a 1,000-host render took.
 */
const programDigests = new WeakMap<object, { bundle: string; digest: string }>();
function programsDigest(streamerBundle: string, viewerAssets: object): string {
  const cached = programDigests.get(viewerAssets);
  if (cached?.bundle === streamerBundle) return cached.digest;
  const digest = createHash('sha256').update(streamerBundle).update('\0').update(JSON.stringify(viewerAssets)).digest('hex');
  programDigests.set(viewerAssets, { bundle: streamerBundle, digest });
  return digest;
}

/**
 * A short hash of everything this Pi's config is made from: the resolved host's settings (secrets
 * replaced, so the hash says nothing about them) and the programs camfleet deploys. Not how the
 * operator reaches it (ssh, address): another known-hosts file or jump host changes nothing on the Pi.
 */
export function configVersion(host: ResolvedHost, programs: readonly string[]): string {
  const { ssh: _ssh, address: _address, ...settings } = host;
  let text = JSON.stringify(settings);
  for (const secret of host.secrets) if (secret) text = text.split(JSON.stringify(secret).slice(1, -1)).join('<secret>');
  const h = createHash('sha256').update(text);
  for (const p of programs) h.update('\0').update(p);
  return h.digest('hex').slice(0, 12);
}
