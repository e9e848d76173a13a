// The status round trip: status.sh with this host's values, and what its lines mean.
import type { StreamerStatus } from '../../../contract/streamer-status.ts';
import { ingestStateDir, parseIngestState, type IngestState } from '../../../contract/ingest-status.ts';
import { withValues } from '../../transport/remote.ts';
import { scriptFile } from '../../transport/remote-scripts.ts';
import { paths, units } from '../../core/render/paths.ts';
import { viewerTemplateContext, webrtcPorts } from '../../core/render/viewer.ts';
import { metricsPaths } from '../../core/parts/metrics.ts';
import type { ResolvedHost } from '../../core/types.ts';

export function statusScript(host: ResolvedHost): string {
  const { webrtc, hls } = viewerTemplateContext(host);
  return withValues(scriptFile('facts/status/status.sh'), {
    env: {
      NGINX_UNIT: units.nginx,
      STREAMER_UNIT: units.streamer,
      STAT_URL: `http://127.0.0.1:${host.stream.statPort}/stat`,
      STATUS_FILE: paths.streamerStatus,
      // Empty when the Pi offers no WebRTC: status.sh then asks nothing about it.
      WEBRTC_UNIT: webrtc ? units.webrtc : '',
      WHEP_STATUS_URL: `http://127.0.0.1:${webrtcPorts.whep}/whep/status`,
      // Empty when the Pi copies its stream to no external ingest.
      INGEST_UNIT: host.ingests.length > 0 && !host.origin ? units.ingest : '',
      INGEST_DIR: ingestStateDir,
      // Empty when the Pi offers no HLS (or is an origin: its cameras' viewers are its exporter's).
      METRICS_SOCKET: hls && !host.origin ? metricsPaths.socket : '',
    },
  });
}

export interface RawStatus {
  nginx: string;
  streamer: string;
  statXml?: string;
  /** What the streamer reports about itself (its status file), as far as it could be read. */
  streamerStatus?: Partial<StreamerStatus>;
  /** camfleet-webrtc's unit state, when the Pi offers WebRTC. */
  webrtc?: string;
  /** Browsers watching over WebRTC, as camfleet-webrtc counts them. */
  webrtcViewers?: number;
  /** Browsers watching over HLS, as the streamer counts them from nginx's requests. */
  hlsViewers?: number;
  /** camfleet-ingest's unit state, when the Pi has external ingests. */
  ingestUnit?: string;
  /** Each external ingest's state, as camfleet-ingest keeps it. */
  ingests: IngestState[];
  /** The Pi's clock (Unix seconds) when it answered: the ingests' `since` are on it. */
  now?: number;
}

export function parseStatus(stdout: string): RawStatus {
  const out: RawStatus = { nginx: 'unknown', streamer: 'unknown', ingests: [] };
  for (const line of stdout.split('\n')) {
    const [kind, value = ''] = line.split('\t');
    if (kind === 'nginx') out.nginx = value;
    if (kind === 'streamer') out.streamer = value;
    if (kind === 'stat' && value) out.statXml = Buffer.from(value, 'base64').toString('utf8');
    if (kind === 'webrtc') out.webrtc = value;
    if (kind === 'hls' && /^\d+$/.test(value)) out.hlsViewers = Number(value);
    if (kind === 'ingest-unit') out.ingestUnit = value;
    if (kind === 'now' && /^\d+$/.test(value)) out.now = Number(value);
    if (kind === 'ingest' && value) {
      const state = parseIngestState(Buffer.from(value, 'base64').toString('utf8'));
      if (state) out.ingests.push(state);
    }
    if (kind === 'whep' && value) {
      try {
        const viewers = (JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as { viewers?: unknown }).viewers;
        if (typeof viewers === 'number') out.webrtcViewers = viewers;
      } catch {
        // not camfleet-webrtc's answer: shown as unknown
      }
    }
    if (kind === 'status' && value) {
      try {
        out.streamerStatus = JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as Partial<StreamerStatus>;
      } catch {
        // caught mid-write: shown as unknown
      }
    }
  }
  return out;
}
