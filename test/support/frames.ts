// How well a page played a lab Pi's live stream. A lab camera makes its frames at its rate in
// stream time, but fewer per second of real time when this machine is busy (two sets of lab Pis,
// the arm64 Pi's emulation and chromium share two cores: a CI run counted 27 frames of a 15 fps
// camera in three seconds), so a count per second of real time measures the machine. Counted
// against the stream time the shown frames span, it measures the player: slices under a stale SPS,
// or a decoder that gave up, show a keyframe at most.
import { expect } from 'vitest';
import type { Playback } from '../../lab/browser.ts';

export type FramesShown = Pick<Playback, 'frames' | 'streamSeconds'>;

/** Most of the frames the stream carried while the page counted were shown, and the stream moved on. */
export function expectMostFramesShown(played: FramesShown, fps: number, what = ''): void {
  const seen = `${what ? `${what}: ` : ''}${JSON.stringify(played)}`;
  expect(played.streamSeconds, `the stream moved on while the page counted: ${seen}`).toBeGreaterThan(1);
  expect(played.frames / (played.streamSeconds * fps + 1), `the share of the stream's frames shown: ${seen}`).toBeGreaterThanOrEqual(0.66);
}
