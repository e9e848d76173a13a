// The GOP cache that lets a new WebRTC viewer start at once, fed the real thing: libx264 sending RTP
// on loopback through the streamer's own tee output.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { gopCache } from '../webrtc/gop-cache.ts';
import { rtpOutput } from '../streamer/ffmpeg-args.ts';
import { startsKeyframe } from '../webrtc/rtp-source.ts';

const seq = (p: Buffer) => p.readUInt16BE(2);
const ts = (p: Buffer) => p.readUInt32BE(4);
/** The first NAL unit type in the payload (12-byte header: ffmpeg adds no CSRCs or extensions). */
const nalType = (p: Buffer) => p[12]! & 0x1f;
/** An SPS alone, or first in an aggregate (STAP-A: type 24, then a 2-byte size before each NAL unit). */
const isSps = (p: Buffer) => nalType(p) === 7 || (nalType(p) === 24 && (p[15]! & 0x1f) === 7);

/** 2.5 s of RTP from a 25 fps stream with a keyframe every 10 frames. */
async function capture(): Promise<{ packets: Buffer[]; keys: boolean[] }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const port = (socket.address() as AddressInfo).port;
  const packets: Buffer[] = [];
  socket.on('message', (p) => packets.push(p));
  const encode = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '2.5',
    '-map', '0:v', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-g', '10', '-pix_fmt', 'yuv420p', '-flags', '+global_header', '-f', 'tee', rtpOutput(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
  await new Promise((r) => encode.on('exit', r));
  await new Promise((r) => setTimeout(r, 100));
  socket.close();
  return { packets, keys: packets.map(startsKeyframe) };
}

describe('gopCache', () => {
  let stream: { packets: Buffer[]; keys: boolean[] };
  beforeAll(async () => {
    stream = await capture();
  }, 30_000);

  it('holds the stream from its newest keyframe, SPS first, squeezed to one tick per frame, ending on the live frame', () => {
    const { packets, keys } = stream;
    expect(packets.length).toBeGreaterThan(100);
    const cache = gopCache(4 << 20);
    packets.forEach((p, i) => cache.add(p, keys[i]!));
    const burst = cache.catchUp();

    // It starts at the newest keyframe: the SPS with the timestamp of the last keyframe seen.
    const lastKey = Math.max(...packets.map((p, i) => (keys[i] && isSps(p) ? i : -1)));
    expect(lastKey).toBeGreaterThan(0);
    expect(isSps(burst[0]!)).toBe(true);
    expect(seq(burst[0]!)).toBe(seq(packets[lastKey]!));
    expect(burst.length).toBe(packets.length - lastKey);

    // Sequence numbers and payloads untouched: the live packets follow on without a gap.
    burst.forEach((p, i) => {
      const original = packets[lastKey + i]!;
      expect(seq(p)).toBe(seq(original));
      expect(p.subarray(12)).toEqual(original.subarray(12));
    });

    // A frame's packets keep one timestamp; frames are one tick apart; the newest keeps its own.
    const frames = [...new Set(burst.map(ts))];
    const originalFrames = [...new Set(packets.slice(lastKey).map(ts))];
    expect(frames.length).toBe(originalFrames.length);
    expect(frames.length).toBeGreaterThan(1);
    frames.slice(1).forEach((t, i) => expect((t - frames[i]!) >>> 0).toBe(1));
    expect(frames.at(-1)).toBe(originalFrames.at(-1));

    // Copies: the packets the live viewers get are not rewritten.
    expect(ts(packets[lastKey]!)).toBe(originalFrames[0]);
  });

  it('holds nothing before the first keyframe, and nothing for a GOP over its byte limit', () => {
    const { packets, keys } = stream;
    const firstKey = keys.indexOf(true);
    const beforeKey = gopCache(4 << 20);
    packets.slice(firstKey + 1).forEach((p, i) => !keys[firstKey + 1 + i] && beforeKey.add(p, false));
    expect(beforeKey.catchUp()).toEqual([]);

    const small = gopCache(200);
    packets.forEach((p, i) => small.add(p, keys[i]!));
    expect(small.catchUp()).toEqual([]);
  });
});
