import type { Fact } from '../fact.ts';

/** ffmpeg's H.264 encoders: asked only of a host pinned to the hardware encoder (ffmpeg's start-up costs). */
export const encoders: Fact = {
  name: 'encoders',
  env: (query) => ({ ENCODERS: query.camera.encoder === 'h264_v4l2m2m' ? '1' : '0' }),
  parse(lines, observed) {
    for (const line of lines) if (line) observed.h264Encoders.push(line);
  },
};
