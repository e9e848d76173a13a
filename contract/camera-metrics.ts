// What a camera Pi exports to Prometheus (/metrics on its statistics port): the names, their help,
// and a snapshot of readings turned into metric families. Pure: the streamer gathers the readings
// (streamer/metrics.ts); render writes the streamer-down snapshot into the file nginx serves
// while the streamer is not running. A reading that is absent (no thermal zone, no vcgencmd in a
// lab Pi, no relay) exports nothing rather than a made-up 0.
import type { StreamerState } from './streamer-status.ts';
import type { IngestState } from './ingest-status.ts';
import { configInfo, hostMetrics, type HostReadings } from './host-metrics.ts';
import type { MetricFamily, Sample } from './prometheus.ts';

export interface CameraSnapshot extends HostReadings {
  /** false in the file nginx serves while the streamer is down. */
  streamerUp: boolean;
  /** camfleet's version of this Pi's config (render's hash of it), when known. */
  configVersion?: string;
  state?: StreamerState;
  encoder?: string | null;
  configuredFps?: number;
  /** bits/s */
  configuredBitrate?: number;
  /** ffmpeg's own figures while it streams. */
  fps?: number;
  /** bits/s */
  bitrate?: number;
  /** Since the streamer started, over every ffmpeg it ran. */
  framesDropped?: number;
  framesDuplicated?: number;
  ffmpegRestarts?: number;
  /** systemd's count of the streamer's restarts (NRestarts) since the unit was started. */
  streamerRestarts?: number;
  streamerUptimeSeconds?: number;
  viewers?: { rtmp?: number; webrtc?: number; hls?: number };
  /** nginx-rtmp's byte counts for the camera's stream. */
  rtmpBytesIn?: number;
  rtmpBytesOut?: number;
  /** Whether nginx holds a connection to the origin it relays to; undefined: the Pi relays to none. */
  relayConnected?: boolean;
  /** Each external ingest's state (camfleet-ingest's files); none where the Pi has none. */
  ingests?: IngestState[];
  temperatures?: { zone: string; celsius: number }[];
  /** `vcgencmd get_throttled`'s bit mask, where vcgencmd exists. */
  throttled?: number;
}

/** The conditions of `vcgencmd get_throttled`'s low bits (now); bits 16-19 say they happened since boot. */
export const throttleBits = { under_voltage: 0, frequency_capped: 1, throttled: 2, soft_temperature_limit: 3 } as const;

const one = (value: number | undefined, labels?: Record<string, string>): Sample[] => (value === undefined || !Number.isFinite(value) ? [] : [{ value, ...(labels ? { labels } : {}) }]);
const bytes = (bits: number | undefined): number | undefined => (bits === undefined ? undefined : bits / 8);
const flag = (value: boolean | undefined): Sample[] => (value === undefined ? [] : [{ value: value ? 1 : 0 }]);

export const streamerStates: readonly StreamerState[] = ['starting', 'choosing-encoder', 'waiting-for-device', 'waiting-for-server', 'connecting', 'streaming', 'backoff', 'stopping', 'stopped'];

export function cameraMetrics(s: CameraSnapshot): MetricFamily[] {
  const streaming = s.streamerUp && s.state === 'streaming';
  const g = (name: string, help: string, samples: Sample[]): MetricFamily => ({ name: `camfleet_${name}`, help, type: 'gauge', samples });
  const c = (name: string, help: string, samples: Sample[]): MetricFamily => ({ name: `camfleet_${name}`, help, type: 'counter', samples });
  const throttled = s.throttled;
  return [
    g('stream_up', "1 while the camera's stream is live (ffmpeg delivering frames to nginx-rtmp), else 0.", [{ value: streaming ? 1 : 0 }]),
    g('streamer_up', '1 while camfleet-streamer runs (0: it is stopped or failed; nginx answers for it).', [{ value: s.streamerUp ? 1 : 0 }]),
    g('streamer_state', "The streamer's state: 1 for the current one.", s.state ? streamerStates.map((state) => ({ labels: { state }, value: state === s.state ? 1 : 0 })) : []),
    configInfo(s.configVersion),
    g('encoder_info', 'The H.264 encoder in use, as a label.', s.encoder ? [{ labels: { encoder: s.encoder }, value: 1 }] : []),
    g('stream_fps', "Frames per second ffmpeg reports while streaming.", streaming ? one(s.fps) : []),
    g('stream_configured_fps', 'The frame rate the inventory asks for.', one(s.configuredFps)),
    // In bytes, Prometheus's base unit (promtool refuses bits): bitrate / 8.
    g('stream_bitrate_bytes_per_second', "Output bitrate of the stream while streaming, in bytes per second: ffmpeg's own count, or what nginx-rtmp receives from it.", streaming ? one(bytes(s.bitrate)) : []),
    g('stream_configured_bitrate_bytes_per_second', 'The bitrate the inventory asks for, in bytes per second.', one(bytes(s.configuredBitrate))),
    c('stream_frames_dropped_total', 'Frames ffmpeg dropped, over every ffmpeg since the streamer started.', one(s.framesDropped)),
    c('stream_frames_duplicated_total', 'Frames ffmpeg duplicated, over every ffmpeg since the streamer started.', one(s.framesDuplicated)),
    c('ffmpeg_restarts_total', 'ffmpeg restarts since the streamer started.', one(s.ffmpegRestarts)),
    c('streamer_restarts_total', "systemd's restarts of camfleet-streamer since the unit was started.", one(s.streamerRestarts)),
    g('streamer_uptime_seconds', 'Seconds since the streamer started.', one(s.streamerUptimeSeconds)),
    g('viewers', 'Viewers now, by how they watch.', (['rtmp', 'webrtc', 'hls'] as const).flatMap((path) => one(s.viewers?.[path], { path }))),
    c('rtmp_received_bytes_total', "Bytes nginx-rtmp received for the camera's stream.", one(s.rtmpBytesIn)),
    c('rtmp_sent_bytes_total', "Bytes nginx-rtmp sent to the stream's players and relay.", one(s.rtmpBytesOut)),
    g('relay_up', 'On a Pi that relays to an origin: 1 while nginx is connected to it.', flag(s.relayConnected)),
    g('ingest_up', 'Each external ingest (relay.ingests): 1 while camfleet-ingest is sending to it.', (s.ingests ?? []).map((i) => ({ labels: { ingest: i.name }, value: i.state === 'connected' ? 1 : 0 }))),
    // Counted by the ffmpeg run now going: it starts from 0 again when the ingest reconnects (a counter reset).
    c('ingest_sent_bytes_total', 'Bytes sent to each external ingest by its current connection.', (s.ingests ?? []).map((i) => ({ labels: { ingest: i.name }, value: i.bytes }))),
    c('ingest_restarts_total', "Each external ingest's ended runs (refused, lost, rejected, ...) since camfleet-ingest started.", (s.ingests ?? []).map((i) => ({ labels: { ingest: i.name }, value: i.restarts }))),
    g('soc_temperature_celsius', 'Temperature of each thermal zone (/sys/class/thermal).', (s.temperatures ?? []).flatMap((t) => one(t.celsius, { zone: t.zone }))),
    g('soc_throttling', 'vcgencmd get_throttled: 1 for each condition present now (where vcgencmd exists).', throttled === undefined ? [] : Object.entries(throttleBits).map(([condition, bit]) => ({ labels: { condition }, value: (throttled >> bit) & 1 }))),
    g('soc_throttling_since_boot', 'vcgencmd get_throttled: 1 for each condition that occurred since boot.', throttled === undefined ? [] : Object.entries(throttleBits).map(([condition, bit]) => ({ labels: { condition }, value: (throttled >> (bit + 16)) & 1 }))),
    ...hostMetrics(s),
  ];
}
