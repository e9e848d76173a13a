// Encoder `auto`: try the hardware encoder for real with a one-frame test encode from a synthetic
// source (never the camera: ffmpeg may be holding it), fall back to libx264, and say why.
// A Pi 4 has h264_v4l2m2m (/dev/video11); a Pi 5 has no H.264 hardware at all.
import { spawn } from 'node:child_process';
import type { CameraConfig } from '../contract/camera.ts';
import { encoderProbeArgs, impliedCodec, type VideoCodec } from './ffmpeg-args.ts';
import { flvHasAvcConfig } from './flv-check.ts';

export interface EncoderChoice {
  codec: VideoCodec;
  reason: string;
}

export async function chooseEncoder(config: CameraConfig, ffmpeg: string, signal?: AbortSignal): Promise<EncoderChoice> {
  const implied = impliedCodec(config);
  if (implied) return implied;
  const probe = await testEncode(ffmpeg, encoderProbeArgs(config, 'h264_v4l2m2m'), 10_000, signal);
  if (!probe.ok) return { codec: 'libx264', reason: `h264_v4l2m2m unavailable (${probe.error}): using libx264` };
  if (!flvHasAvcConfig(probe.output)) {
    return { codec: 'libx264', reason: 'h264_v4l2m2m encodes, but its FLV has no SPS/PPS header, so viewers joining later could not decode it: using libx264' };
  }
  return { codec: 'h264_v4l2m2m', reason: 'hardware encoder passed a one-frame test encode to FLV' };
}

/** Run a short ffmpeg to completion; ok when it exits 0 within timeoutMs. Collects its stdout. */
export function testEncode(
  ffmpeg: string,
  args: string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ ok: boolean; error: string; output: Buffer }> {
  return new Promise((resolve) => {
    let stderr = '';
    const chunks: Buffer[] = [];
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const abort = (): void => {
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', abort, { once: true });
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const finish = (ok: boolean, error: string): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      resolve({ ok, error, output: Buffer.concat(chunks) });
    };
    child.once('error', (e) => finish(false, e.message));
    child.once('close', (code, sig) => {
      // ffmpeg's first error line names the cause ("Could not find a valid device"); a warning
      // printed before it (libgcrypt's "using insecure memory!" without mlock, as under emulation) does not.
      const lines = stderr.split('\n').map((l) => l.replace(/^\[[^\]]*\]\s*/, '').trim()).filter(Boolean);
      const first = lines.find((l) => !/^warning:/i.test(l)) ?? lines[0];
      if (code === 0) finish(true, '');
      else finish(false, first ?? (sig ? `killed by ${sig} after ${timeoutMs} ms` : `exit code ${code}`));
    });
  });
}
