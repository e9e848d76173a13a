// /run/camfleet/streamer-status.json: what the streamer reports about itself and `provision
// --check` and `camfleet status` read back over SSH. Written by the streamer (streamer/status.ts).

export type StreamerState =
  | 'starting'
  | 'choosing-encoder'
  | 'waiting-for-device'
  | 'waiting-for-server'
  | 'connecting'
  | 'streaming'
  | 'backoff'
  | 'stopping'
  | 'stopped';

export interface StreamerStatus {
  state: StreamerState;
  /** The codec in use once chosen: h264_v4l2m2m, libx264 or copy. */
  encoder: string | null;
  encoderReason: string | null;
  /** ffmpeg restarts since the streamer started. */
  restarts: number;
  lastError: string | null;
  /** When the streamer started (ISO time). */
  startedAt: string;
  updatedAt: string;
  /** updatedAt - startedAt, so a reader needs no clock of its own; refreshed at least every 30 s. */
  uptimeSeconds: number;
  /** When frames last started flowing; null unless streaming. */
  streamingSince: string | null;
  /**
   * Frames per second ffmpeg sent over its last progress interval (about a second), measured, not
   * configured; null unless streaming. provision's health gate holds it against camera.fps.
   */
  fps: number | null;
  /** The streamer's own pid. */
  pid: number;
}
