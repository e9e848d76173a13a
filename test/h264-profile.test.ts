// The H.264 profile and level the streamer encodes to: what every browser's WebRTC accepts.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ffmpegArgs } from '../streamer/ffmpeg-args.ts';
import { h264Level, profileLevelId } from '../contract/h264-profile.ts';

const cam = { device: '/dev/video0', inputFormat: 'mjpeg' as const, width: 1280, height: 720, fps: 30, bitrate: 2_500_000, encoder: 'auto' as const, gop: 30, server: 'rtmp://127.0.0.1/live', streamKey: 'cam', statusFile: '/tmp/s.json' };

describe('H.264 profile and level', () => {
  it('the lowest level that holds the picture: 3.1 up to 720p30, 4.0 for 1080p30, 4.2 for 1080p60', () => {
    expect(h264Level(640, 360, 15)).toBe(31);
    expect(h264Level(1280, 720, 30)).toBe(31);
    expect(h264Level(1280, 720, 60)).toBe(40);
    expect(h264Level(1920, 1080, 30)).toBe(40);
    expect(h264Level(1920, 1080, 60)).toBe(42);
    expect(profileLevelId(1280, 720, 30)).toBe('42e01f');
    expect(profileLevelId(1920, 1080, 30)).toBe('42e028');
  });

  it('libx264 encodes Constrained Baseline at that level, as ffprobe reads it back', () => {
    const args = ffmpegArgs(cam, 'libx264');
    const encode = args.slice(args.indexOf('-c:v'), args.indexOf('-flvflags'));
    const flv = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-frames:v', '2', ...encode, '-f', 'flv', 'pipe:1'], { maxBuffer: 64 << 20 });
    const probed = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=profile,level', '-of', 'csv=p=0', '-i', 'pipe:0'], { input: flv, encoding: 'utf8' });
    expect(probed.trim()).toBe('Constrained Baseline,31');
  });

  it('the Pi hardware encoder is asked for Constrained Baseline too (FFmpeg profile 578)', () => {
    const args = ffmpegArgs(cam, 'h264_v4l2m2m');
    expect(args.slice(args.indexOf('-profile:v'), args.indexOf('-profile:v') + 4)).toEqual(['-profile:v', '578', '-level:v', '31']);
  });
});
