// The H.264 profile and level the streamer encodes to, chosen so that every browser's WebRTC
// accepts the stream as it is (no re-encode on the Pi): Constrained Baseline is the one profile
// Chrome, Firefox (OpenH264 decodes nothing else) and Safari all negotiate; the level is the
// lowest that holds the picture size and frame rate. Shared by the encoder's flags and the SDP
// the WebRTC service offers (profile-level-id), so the two cannot disagree.

/** H.264 levels (Table A-1): largest frame in macroblocks, macroblocks per second. */
const levels = [
  { level: 31, maxFrame: 3600, maxRate: 108_000 }, // 720p30
  { level: 40, maxFrame: 8192, maxRate: 245_760 }, // 1080p30
  { level: 42, maxFrame: 8704, maxRate: 522_240 }, // 1080p60
] as const;

/** The lowest of 3.1, 4.0, 4.2 that fits (as level_idc: 31, 40, 42); 4.2 for anything larger, which the inventory refuses anyway. */
export function h264Level(width: number, height: number, fps: number): number {
  const frame = Math.ceil(width / 16) * Math.ceil(height / 16);
  return (levels.find((l) => frame <= l.maxFrame && frame * fps <= l.maxRate) ?? levels[2]).level;
}

/** SDP profile-level-id: Constrained Baseline (42e0) at the level, e.g. 42e01f for 3.1. */
export function profileLevelId(width: number, height: number, fps: number): string {
  return `42e0${h264Level(width, height, fps).toString(16).padStart(2, '0')}`;
}
