// Prometheus metrics on an origin: /metrics on its statistics port, for the addresses in
// access.metrics, with each relaying camera's stream as the origin sees it (contract/origin-metrics.ts).
// An origin runs no streamer, so a small exporter of its own (origin-exporter/) serves them on a
// Unix socket nginx proxies to; while it is down, nginx serves a file written here that says so.
import { originMetrics, validateOriginExporterConfig, type OriginExporterConfig } from '../../../contract/origin-metrics.ts';
import { exposition } from '../../../contract/prometheus.ts';
import { managedMarker, type ResolvedHost } from '../types.ts';
import { jsonFile } from '../render/formats.ts';
import { RenderError } from '../render/errors.ts';
import { originContext } from '../render/origin.ts';
import { paths } from '../render/paths.ts';
import { hlsLogPort, hlsViewerWindowMs } from '../render/viewer.ts';
import { absentFiles, contentFile, offUnit, onUnit, type Part } from './part.ts';

export const originExporterPaths = {
  bundle: '/opt/camfleet/origin-exporter.mjs',
  config: '/etc/camfleet/origin-exporter.json',
  unit: '/etc/systemd/system/camfleet-origin-exporter.service',
  /** In the exporter's RuntimeDirectory (its own: a camera turned origin stops its streamer's). */
  socket: '/run/camfleet-origin/metrics.sock',
  /** What nginx answers /metrics with while the exporter is down. */
  down: '/etc/camfleet/origin-metrics-down.prom',
} as const;

export const originExporterUnit = 'camfleet-origin-exporter.service';

/** Everything it writes: what a host that is no origin (any more) removes. */
export const originExporterFiles = [originExporterPaths.bundle, originExporterPaths.config, originExporterPaths.unit, originExporterPaths.down];

export const originExporter: Part = {
  name: 'origin-exporter',
  packages: ['nodejs'],
  enabled: (host) => !!host.origin,
  on: ({ host, originExporter: bundle, template }) => {
    if (bundle === undefined) throw new Error(`${host.name}: the origin's exporter was not built (RenderInputs.originExporter)`);
    const down = exposition(originMetrics({ exporterUp: false, cameras: [] }));
    return {
      files: [
        contentFile(originExporterPaths.bundle, bundle),
        contentFile(originExporterPaths.config, jsonFile(exporterConfig(host))),
        template(originExporterPaths.unit, 'camfleet-origin-exporter.service', 'systemd'),
        contentFile(originExporterPaths.down, `# ${managedMarker}: served by nginx while ${originExporterUnit} is down.\n${down}`),
      ],
      units: [onUnit(originExporterUnit, [originExporterPaths.bundle, originExporterPaths.config, originExporterPaths.unit])],
    };
  },
  off: () => ({ absent: absentFiles(originExporterFiles), units: [offUnit(originExporterUnit)] }),
};

/** origin-exporter.json, checked by the very function the exporter reads it with. */
function exporterConfig(host: ResolvedHost): OriginExporterConfig {
  const origin = originContext(host);
  const config: OriginExporterConfig = {
    comment: `${managedMarker}. Local edits are replaced on the next provision.`,
    socket: originExporterPaths.socket,
    statUrl: `http://127.0.0.1:${host.stream.statPort}/stat`,
    application: host.stream.application,
    cameras: (host.origin?.sources ?? []).map((s) => s.name),
    // Whether or not the origin serves HLS now (the count is 0 while nothing is sent), like the Pi's.
    hlsLog: { port: hlsLogPort, windowMs: hlsViewerWindowMs(origin ? origin.hlsFragmentMs : 1000) },
    // Read at each scrape: a new version needs no restart.
    versionFile: paths.configVersion,
  };
  try {
    return validateOriginExporterConfig(config, "the origin exporter's contract");
  } catch (e) {
    throw new RenderError(host.name, 'origin-exporter.json', (e as Error).message);
  }
}
