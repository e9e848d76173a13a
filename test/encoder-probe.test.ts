// Encoder `auto`'s probe with real ffmpeg: a one-frame encode to FLV, checked for the SPS/PPS
// header nginx-rtmp gives late-joining viewers. libx264 stands in for a working encoder here;
// this machine has no h264_v4l2m2m device, like a Pi 5.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, type StreamerSettings } from '../streamer/config.ts';
import { chooseEncoder, testEncode } from '../streamer/encoder.ts';
import { encoderProbeArgs } from '../streamer/ffmpeg-args.ts';
import { flvHasAvcConfig } from '../streamer/flv-check.ts';

const config: StreamerSettings = { ...defaultConfig, width: 320, height: 240 };

describe('the encoder probe', () => {
  it('a working encoder yields one frame of FLV whose sequence header has SPS and PPS', async () => {
    const r = await testEncode('ffmpeg', encoderProbeArgs(config, 'libx264'), 10_000);
    expect(r).toMatchObject({ ok: true, error: '' });
    expect(r.output.subarray(0, 3).toString()).toBe('FLV');
    expect(flvHasAvcConfig(r.output)).toBe(true);
  });

  it('h264_v4l2m2m without a device fails the probe with ffmpeg\'s reason', async () => {
    const r = await testEncode('ffmpeg', encoderProbeArgs(config, 'h264_v4l2m2m'), 10_000);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/\w/);
    const choice = await chooseEncoder({ ...config, encoder: 'auto' }, 'ffmpeg');
    expect(choice.codec).toBe('libx264');
    expect(choice.reason).toBe(`h264_v4l2m2m unavailable (${r.error}): using libx264`);
  });

  it("a warning ffmpeg prints before the error is not given as the reason (arm64 under emulation)", async () => {
    // A stand-in ffmpeg, named as such: libgcrypt's warning appears only where mlock fails (the
    // emulated arm64 lab Pi), so this machine's ffmpeg cannot produce it. The lines are that Pi's.
    const dir = mkdtempSync(join(tmpdir(), 'camfleet-ffmpeg-'));
    const fake = join(dir, 'ffmpeg');
    writeFileSync(fake, "#!/bin/sh\necho 'Warning: using insecure memory!' >&2\necho '[h264_v4l2m2m @ 0xaaaa] Could not find a valid device' >&2\nexit 1\n", { mode: 0o755 });
    const r = await testEncode(fake, encoderProbeArgs(config, 'h264_v4l2m2m'), 10_000);
    expect(r).toMatchObject({ ok: false, error: 'Could not find a valid device' });
  });

  it('a missing ffmpeg is a failed probe, not a crash', async () => {
    const r = await testEncode('/nonexistent/ffmpeg', encoderProbeArgs(config, 'libx264'), 5000);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/ENOENT/);
  });
});

describe('flvHasAvcConfig', () => {
  it('is false for FLV without an AVC sequence header, or with one that lost its SPS', async () => {
    // Real FLV from a non-AVC codec: no H.264 configuration at all.
    const flv1 = await testEncode('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=5', '-frames:v', '1', '-c:v', 'flv1', '-f', 'flv', 'pipe:1'], 10_000);
    expect(flv1.ok).toBe(true);
    expect(flvHasAvcConfig(flv1.output)).toBe(false);

    const good = (await testEncode('ffmpeg', encoderProbeArgs(config, 'libx264'), 10_000)).output;
    // Find the sequence header's record and claim zero SPS, as an encoder without global headers would.
    const noSps = Buffer.from(good);
    const at = findSequenceHeader(noSps);
    expect(at).toBeGreaterThan(0);
    noSps[at + 5] = 0xe0; // reserved bits, SPS count 0
    expect(flvHasAvcConfig(noSps)).toBe(false);
    expect(flvHasAvcConfig(good.subarray(0, 20))).toBe(false);
    expect(flvHasAvcConfig(Buffer.from('not flv at all'))).toBe(false);
  });
});

/** Offset of the AVCDecoderConfigurationRecord in the first AVC sequence header tag. */
function findSequenceHeader(flv: Buffer): number {
  let at = flv.readUInt32BE(5) + 4;
  while (at + 11 <= flv.length) {
    const size = flv.readUIntBE(at + 1, 3);
    if (flv[at] === 9 && ((flv[at + 11] ?? 0) & 0x0f) === 7 && flv[at + 12] === 0) return at + 11 + 5;
    at += 11 + size + 4;
  }
  return -1;
}
