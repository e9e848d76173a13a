// What an origin exports to Prometheus (/metrics on its statistics port): for each camera that
// relays to it, the same readings a camera Pi gives for its own stream, labelled with the camera's
// name. Pure: the origin's exporter (origin-exporter/) reads nginx-rtmp's statistics; render writes
// the exporter-down snapshot into the file nginx serves while the exporter is not running.
import type { LiveStream } from './rtmp-stat.ts';
import { configInfo, hostMetrics, type HostReadings } from './host-metrics.ts';
import type { MetricFamily, Sample } from './prometheus.ts';

/** origin-exporter.json: where to serve, where to read, and which cameras relay here. */
export interface OriginExporterConfig {
  comment?: string;
  /** The Unix socket nginx proxies /metrics to. */
  socket: string;
  /** nginx-rtmp's statistics over loopback. */
  statUrl: string;
  /** The RTMP application the cameras publish into. */
  application: string;
  /** The relaying cameras' names: each is a stream of that name. */
  cameras: string[];
  /** Where nginx sends the origin's HLS requests (loopback UDP), and how long a viewer counts after its last. */
  hlsLog?: { port: number; windowMs: number };
  /** The file holding camfleet's version of the origin's config (one line; # comments). */
  versionFile?: string;
}

export interface OriginSnapshot extends HostReadings {
  /** false in the file nginx serves while the exporter is down. */
  exporterUp: boolean;
  /** Whether nginx-rtmp's statistics answered (undefined: not asked, the exporter is down). */
  statUp?: boolean;
  /** camfleet's version of the origin's config, when known. */
  configVersion?: string;
  /** Each relaying camera, its stream on the origin if one is there at all, and its HLS viewers (when counted). */
  cameras: { name: string; stream?: LiveStream; hlsViewers?: number }[];
}

const one = (value: number | undefined, labels: Record<string, string>): Sample[] => (value === undefined || !Number.isFinite(value) ? [] : [{ value, labels }]);

export function originMetrics(s: OriginSnapshot): MetricFamily[] {
  const g = (name: string, help: string, samples: Sample[]): MetricFamily => ({ name: `camfleet_origin_${name}`, help, type: 'gauge', samples });
  const c = (name: string, help: string, samples: Sample[]): MetricFamily => ({ name: `camfleet_origin_${name}`, help, type: 'counter', samples });
  // Per camera: only what nginx-rtmp reports (a stream not there has no fps), except up and viewers.
  const each = (read: (stream: LiveStream) => number | undefined): Sample[] =>
    s.cameras.flatMap(({ name, stream }) => (stream ? one(read(stream), { camera: name }) : []));
  const known = s.statUp === true;
  return [
    g('exporter_up', "1 while the origin's exporter runs (0: it is stopped or failed; nginx answers for it).", [{ value: s.exporterUp ? 1 : 0 }]),
    g('stat_up', "1 while nginx-rtmp's statistics answer the exporter.", s.statUp === undefined ? [] : [{ value: known ? 1 : 0 }]),
    configInfo(s.configVersion),
    g('stream_up', "1 while the camera's relayed stream is live on the origin (a publisher connected), else 0.", known ? s.cameras.map(({ name, stream }) => ({ labels: { camera: name }, value: stream?.publishing ? 1 : 0 })) : []),
    g('stream_fps', 'The frame rate the camera declares for its stream (its metadata).', each((x) => (x.publishing ? x.fps : undefined))),
    // nginx-rtmp's own measure of what arrives, in bytes (Prometheus's base unit).
    g('stream_bitrate_bytes_per_second', "Incoming bitrate of the camera's stream, in bytes per second.", each((x) => (x.publishing && x.bitrateIn !== undefined ? x.bitrateIn / 8 : undefined))),
    g('stream_publisher_seconds', "Seconds the camera's relay has been connected: a relay that keeps reconnecting stays low.", each((x) => (x.publisherAgeMs === undefined ? undefined : Math.round(x.publisherAgeMs / 1000)))),
    g('viewers', "Viewers of the camera's stream on the origin, by how they watch: RTMP players, and HLS clients (address and User-Agent) seen within the playlist's span.", [
      ...(known ? s.cameras.map(({ name, stream }) => ({ labels: { camera: name, path: 'rtmp' }, value: stream?.viewers ?? 0 })) : []),
      ...s.cameras.flatMap(({ name, hlsViewers }) => one(hlsViewers, { camera: name, path: 'hls' })),
    ]),
    c('rtmp_received_bytes_total', "Bytes nginx-rtmp received for the camera's stream.", each((x) => x.bytesIn)),
    c('rtmp_sent_bytes_total', "Bytes nginx-rtmp sent from the camera's stream to its players.", each((x) => x.bytesOut)),
    // The origin's disk holds every camera's HLS: the same names as a camera Pi's, so the same alert covers it.
    ...hostMetrics(s),
  ];
}

/** The snapshot of one scrape: the configured cameras, each with its stream in the application, if any, and its HLS count. */
export function originSnapshot(
  config: Pick<OriginExporterConfig, 'application' | 'cameras'>,
  streams: readonly LiveStream[] | undefined,
  hlsViewers: (camera: string) => number | undefined = () => undefined,
  host: HostReadings = {},
): OriginSnapshot {
  return {
    ...host,
    exporterUp: true,
    statUp: streams !== undefined,
    cameras: config.cameras.map((name) => {
      const hls = hlsViewers(name);
      return { name, stream: streams?.find((x) => x.application === config.application && x.name === name), ...(hls === undefined ? {} : { hlsViewers: hls }) };
    }),
  };
}

/** origin-exporter.json as the exporter reads it, checked field by field. */
export function validateOriginExporterConfig(raw: unknown, source: string): OriginExporterConfig {
  const o = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : undefined) as Record<string, unknown> | undefined;
  if (!o) throw new Error(`${source}: expected a JSON object`);
  const problems: string[] = [];
  const text = (field: 'socket' | 'statUrl' | 'application'): string => {
    const v = o[field];
    if (typeof v !== 'string' || v === '') problems.push(`${field} must be a non-empty string, got ${JSON.stringify(v)}`);
    return typeof v === 'string' ? v : '';
  };
  const config: OriginExporterConfig = {
    ...(typeof o.comment === 'string' ? { comment: o.comment } : {}),
    socket: text('socket'),
    statUrl: text('statUrl'),
    application: text('application'),
    cameras: Array.isArray(o.cameras) && o.cameras.every((c) => typeof c === 'string' && c !== '') ? (o.cameras as string[]) : [],
  };
  if (!Array.isArray(o.cameras) || config.cameras.length !== o.cameras.length) problems.push(`cameras must be a list of names, got ${JSON.stringify(o.cameras)}`);
  const h = o.hlsLog as { port?: unknown; windowMs?: unknown } | undefined;
  if (h !== undefined) {
    const whole = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
    if (typeof h !== 'object' || h === null || !whole(h.port, 1, 65535) || !whole(h.windowMs, 1000, Number.MAX_SAFE_INTEGER) || Object.keys(h).length !== 2) {
      problems.push(`hlsLog must be { port: 1-65535, windowMs: 1000 or more }, got ${JSON.stringify(h)}`);
    } else config.hlsLog = { port: h.port as number, windowMs: h.windowMs as number };
  }
  if (o.versionFile !== undefined) {
    if (typeof o.versionFile === 'string' && o.versionFile.startsWith('/')) config.versionFile = o.versionFile;
    else problems.push(`versionFile must be an absolute path, got ${JSON.stringify(o.versionFile)}`);
  }
  if (config.socket && !config.socket.startsWith('/')) problems.push(`socket must be an absolute path, got ${JSON.stringify(config.socket)}`);
  if (config.statUrl && !/^http:\/\/127\.0\.0\.1:\d+\//.test(config.statUrl)) problems.push(`statUrl must be on this host's loopback, got ${JSON.stringify(config.statUrl)}`);
  if (problems.length) throw new Error(`${source}: ${problems.join('; ')}`);
  return config;
}
