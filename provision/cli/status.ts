// `camfleet status`: for each selected Pi, in parallel — is nginx-rtmp up, is the stream live,
// at what resolution, fps and bitrate, for how long, and to how many viewers.
import type { StreamerStatus } from '../../contract/streamer-status.ts';
import { describeSource } from '../../contract/camera.ts';
import { connect } from '../transport/ssh.ts';
import { loadSelected, parse, selectionOptions } from './common.ts';
import { parallelFlag } from './flags.ts';
import { HostError, UnreachableError } from '../transport/host-error.ts';
import { exitCodes } from './exit-codes.ts';
import { formatTable } from './table.ts';
import { inPool } from '../rollout/pool.ts';
import { parseRtmpStat, type LiveStream } from '../../contract/rtmp-stat.ts';
import { parseStatus, statusScript, type RawStatus } from '../facts/status/status-script.ts';
import { httpUrl } from '../core/render/origin.ts';
import type { ResolvedHost } from '../core/types.ts';
import { viewerPageUrl } from '../core/render/viewer.ts';
import { hostQrCodes } from './qr.ts';
import { listScript, parseRecordings } from '../facts/recordings/recordings.ts';
import type { IngestState } from '../../contract/ingest-status.ts';

export const statusUsage = `Usage: npm run status -- (--host NAME | --group NAME | --all) [-i FILE] [--json] [--parallel N] [--qr]

For each Pi: nginx and streamer state, whether its stream is live, resolution, fps, bitrate,
uptime and viewers (RTMP players from nginx-rtmp's rtmp_stat, read on the Pi; browsers on WebRTC
from camfleet-webrtc; HLS viewers as the streamer counts them from nginx's requests), its recordings, its viewer page's URL, and the streamer's own status. Under
the table, one line per external ingest (relay.ingests): connected (for how long, bytes sent) or
retrying, with why its last run ended (refused, unreachable, TLS failure, rejected: a wrong key).
  --qr   also print, as QR codes in the terminal, each Pi's Wi-Fi join code (it holds the hotspot
         passphrase: shown only when asked for like this) and its page's URL: two scans from a
         phone to watching.
Exit status: 0 every selected stream is live, 1 some stream is down, 4 some Pi is unreachable.`;

export interface PiStatus {
  host: string;
  reachable: boolean;
  /** Where the camera's picture comes from (`libcamera <id>`, `v4l2 /dev/video0`); absent for an origin. */
  source?: string;
  error?: string;
  nginx?: string;
  streamer?: string;
  stream?: LiveStream;
  live: boolean;
  /** What the streamer reports about itself (its status file), as far as it could be read. */
  streamerStatus?: Partial<StreamerStatus>;
  /** The viewer page as phones reach it. */
  page?: string;
  /** camfleet-webrtc's unit state, when the Pi offers WebRTC. */
  webrtc?: string;
  /** Browsers watching over WebRTC. */
  browsers?: number;
  /** Browsers (and players) watching over HLS, as the streamer counts them. */
  hlsViewers?: number;
  /** What the Pi has recorded, when recording is on. */
  recording?: RecordingStatus;
  /** camfleet-ingest's unit state, when the Pi has external ingests. */
  ingestUnit?: string;
  /** Each external ingest (relay.ingests), as camfleet-ingest reports it. */
  ingests?: IngestStatus[];
}

/** One external ingest: where it goes (no key), whether it is sending, and why it last stopped. */
export interface IngestStatus {
  name: string;
  target: string;
  state: IngestState['state'];
  /** How long it has been in that state (connected: sending), by the Pi's clock. */
  seconds?: number;
  /** Bytes sent by the run now going. */
  bytes: number;
  restarts: number;
  error?: string;
}

export interface RecordingStatus {
  /** camfleet-recorder's state. */
  recorder: string;
  segments: number;
  /** The oldest and newest footage (segment starts), ISO 8601 UTC. */
  oldest?: string;
  newest?: string;
  bytes: number;
  /** The recordings' filesystem. */
  diskFreePercent?: number;
  diskFreeBytes?: number;
}

export async function gatherStatus(host: ResolvedHost, timeoutMs = 10_000): Promise<PiStatus> {
  const source = host.origin ? {} : { source: describeSource(host.camera.device) };
  try {
    const remote = await connect(host, { timeoutMs });
    try {
      const r = await remote.run(statusScript(host));
      const raw = parseStatus(r.stdout);
      const recording = host.recording.enabled && !host.origin ? recordingStatus((await remote.run(listScript(host))).stdout) : undefined;
      // An origin has no camera of its own: it is up when its nginx is; its cameras have rows of their own.
      if (host.origin) return { host: host.name, reachable: true, nginx: raw.nginx, streamer: '-', live: raw.nginx === 'active', error: `origin of ${host.origin.sources.length} camera(s)` };
      const stream = parseRtmpStat(raw.statXml ?? '').find((s) => s.application === host.stream.application && s.name === host.stream.key);
      // camfleet-webrtc, the recorder and each running ingest read the stream back over RTMP: those players are not people.
      const ingests = ingestStatuses(host, raw);
      const running = ingests.filter((i) => i.state !== 'retrying').length;
      const readers = (raw.webrtc === 'active' ? 1 : 0) + (recording?.recorder === 'active' ? 1 : 0) + running;
      const viewers = stream ? { ...stream, viewers: Math.max(0, stream.viewers - readers) } : stream;
      return {
        host: host.name,
        reachable: true,
        ...source,
        nginx: raw.nginx,
        streamer: raw.streamer,
        stream: viewers,
        live: !!stream?.publishing && raw.nginx === 'active',
        streamerStatus: raw.streamerStatus,
        page: viewerPageUrl(host),
        webrtc: raw.webrtc,
        browsers: raw.webrtcViewers,
        ...(raw.hlsViewers === undefined ? {} : { hlsViewers: raw.hlsViewers }),
        ...(recording ? { recording } : {}),
        ...(host.ingests.length ? { ingestUnit: raw.ingestUnit, ingests } : {}),
      };
    } finally {
      await remote.close();
    }
  } catch (e) {
    const message = e instanceof HostError ? e.message : (e as Error).message;
    return { host: host.name, reachable: !(e instanceof UnreachableError), ...source, error: message, live: false };
  }
}

/** The inventory's ingests in its order, each with the state the Pi reports (none: not started). */
function ingestStatuses(host: ResolvedHost, raw: RawStatus): IngestStatus[] {
  return host.ingests.map((i) => {
    const s = raw.ingests.find((x) => x.name === i.name);
    if (!s) return { name: i.name, target: i.url, state: 'retrying', bytes: 0, restarts: 0, error: `not running: camfleet-ingest.service is ${raw.ingestUnit ?? 'unknown'}` };
    const seconds = raw.now !== undefined && s.since > 0 ? Math.max(0, raw.now - s.since) : undefined;
    return { name: s.name, target: s.target, state: s.state, ...(seconds === undefined ? {} : { seconds }), bytes: s.bytes, restarts: s.restarts, ...(s.error ? { error: s.error } : {}) };
  });
}

/** The INGESTS column: how many of the Pi's external ingests are sending. */
export function ingestsCell(s: PiStatus): string {
  if (!s.ingests?.length) return '-';
  return `${s.ingests.filter((i) => i.state === 'connected').length}/${s.ingests.length} sending`;
}

/** One line per external ingest, under the table: its state, for how long, what it sent, why it last stopped. */
export function ingestLines(rows: readonly PiStatus[]): string[] {
  return rows.flatMap((s) =>
    (s.ingests ?? []).map((i) => {
      const since = i.seconds === undefined ? '' : ` ${formatDuration(i.seconds)}`;
      const what =
        i.state === 'connected'
          ? `connected${since}, ${(i.bytes / 1e6).toFixed(1)} MB sent`
          : `${i.state}${since}${i.restarts ? ` (${i.restarts} restarts)` : ''}${i.error ? `: ${i.error}` : ''}`;
      return `${s.host} -> ${i.name} ${i.target}: ${what}`;
    }),
  );
}

function recordingStatus(stdout: string): RecordingStatus {
  const r = parseRecordings(stdout);
  const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString().replace('.000Z', 'Z'));
  return {
    recorder: r.recorder,
    segments: r.segments.length,
    oldest: iso(r.segments[0]?.start),
    newest: iso(r.segments.at(-1)?.start),
    bytes: r.segments.reduce((n, s) => n + s.bytes, 0),
    ...(r.disk && r.disk.sizeKb > 0 ? { diskFreePercent: Math.floor((r.disk.freeKb * 100) / r.disk.sizeKb), diskFreeBytes: r.disk.freeKb * 1024 } : {}),
  };
}

/** The RECORDING column: off, or the recorder's state, what footage spans, its size and the disk's free space. */
export function recordingCell(r: RecordingStatus | undefined): string {
  if (!r) return 'off';
  const state = r.recorder === 'active' ? 'on' : r.recorder;
  const span = r.oldest && r.newest ? ` ${r.oldest.slice(0, 16)}..${r.newest.slice(11, 16)}Z` : ' no footage';
  const free = r.diskFreePercent === undefined ? '' : `, ${r.diskFreePercent}% free`;
  return `${state}${span}, ${(r.bytes / 1e6).toFixed(1)} MB${free}`;
}

export async function runStatusCli(args: string[]): Promise<number> {
  const { values } = parse(args, { ...selectionOptions, json: { type: 'boolean' }, parallel: { type: 'string' }, qr: { type: 'boolean' } });
  if (values.help) return console.log(statusUsage), exitCodes.ok;
  const parallel = parallelFlag(values.parallel, 16);
  const inventory = await loadSelected(values);
  const results = new Map<string, PiStatus>();
  await inPool(inventory.hosts, parallel, async (h) => void results.set(h.name, await gatherStatus(h)));
  const ordered = inventory.hosts.map((h) => results.get(h.name)!);
  if (values.json) console.log(JSON.stringify(ordered, null, 2));
  else console.log([statusTable(ordered), ...ingestLines(ordered), wallLine(inventory.hosts, values)].join('\n'));
  if (values.qr) for (const h of inventory.hosts) console.log(`\n${hostQrCodes(h, viewerPageUrl(h)).join('\n')}`);
  if (ordered.some((s) => !s.reachable)) return exitCodes.unreachable;
  return ordered.every((s) => s.live) ? exitCodes.ok : exitCodes.failed;
}

/** Where the operator sees every selected camera at once: each origin's wall, else `npm run wall`. */
export function wallLine(hosts: readonly ResolvedHost[], selection: { host?: string[]; group?: string[]; all?: boolean; limit?: string; inventory?: string }): string {
  const walls = new Set<string>();
  for (const h of hosts) {
    if (h.origin && h.viewer.enabled) walls.add(httpUrl(h.address, h.viewer.port));
    if (h.relay?.viewerPort !== undefined) walls.add(httpUrl(h.relay.address, h.relay.viewerPort));
  }
  if (walls.size) return `fleet wall: ${[...walls].join('  ')}`;
  const args = [
    ...(selection.inventory ? ['-i', selection.inventory] : []),
    ...(selection.all ? ['--all'] : []),
    ...(selection.host ?? []).flatMap((h) => ['--host', h]),
    ...(selection.group ?? []).flatMap((g) => ['--group', g]),
    ...(selection.limit ? ['--limit', selection.limit] : []),
  ];
  return `fleet wall: no origin; \`npm run wall -- ${args.join(' ')}\` serves one at http://127.0.0.1:8090/`;
}

export function statusTable(rows: PiStatus[]): string {
  const header = ['HOST', 'SOURCE', 'NGINX', 'STREAMER', 'STREAM', 'VIDEO', 'BITRATE', 'VIEWERS', 'BROWSERS', 'HLS', 'UPTIME', 'RECORDING', 'INGESTS', 'PAGE', 'NOTE'];
  const cells = rows.map((s) => {
    const st = s.stream;
    const restarts = s.streamerStatus?.restarts;
    const note =
      s.error ??
      (s.streamer !== 'active'
        ? 'streamer stopped'
        : s.webrtc && s.webrtc !== 'active'
          ? `camfleet-webrtc.service is ${s.webrtc}: browsers get HLS`
          : s.streamerStatus?.lastError
            ? `last error: ${String(s.streamerStatus.lastError)}`
            : '');
    return [
      s.host,
      s.source ?? '-',
      s.nginx ?? '-',
      s.streamer ?? '-',
      s.live ? 'LIVE' : 'down',
      st?.width ? `${st.width}x${st.height}@${st.fps ?? '?'} ${st.codec ?? ''}`.trim() : '-',
      st?.bitrateIn ? `${(st.bitrateIn / 1000).toFixed(0)} kb/s` : '-',
      st ? String(st.viewers) : '-',
      s.browsers === undefined ? '-' : String(s.browsers),
      s.hlsViewers === undefined ? '-' : String(s.hlsViewers),
      st ? formatDuration(st.uptimeSeconds) : '-',
      s.reachable ? recordingCell(s.recording) : '-',
      ingestsCell(s),
      s.page ?? '-',
      `${note}${typeof restarts === 'number' && restarts > 0 ? ` (${restarts} restarts)` : ''}`,
    ];
  });
  return formatTable(header, cells).join('\n');
}

function formatDuration(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
