// The streamer's pure parts: config + flags -> the ffmpeg command. No processes.
import { describe, expect, it } from 'vitest';
import { applyFlags, defaultConfig, parseFlags, type StreamerSettings } from '../streamer/config.ts';
import { encoderProbeArgs, ffmpegArgs, impliedCodec, teeSlave } from '../streamer/ffmpeg-args.ts';
import { rtmpEndpoint } from '../streamer/rtmp-server.ts';

const cam: StreamerSettings = { ...defaultConfig, server: 'rtmp://127.0.0.1:1935/live', streamKey: 'cam' };

/** The value after `flag` in argv. */
function after(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

describe('ffmpegArgs', () => {
  it('captures the V4L2 camera at the configured format, size and rate', () => {
    const args = ffmpegArgs(cam, 'libx264');
    const input = args.slice(0, args.indexOf('-i') + 2);
    expect(input.slice(input.indexOf('-f'))).toEqual([
      '-f', 'v4l2', '-input_format', 'mjpeg', '-video_size', '1280x720', '-framerate', '30', '-i', '/dev/video0',
    ]);
    // A camera paces itself: -re would only add delay.
    expect(input).not.toContain('-re');
  });

  it('libx264: zerolatency, no B-frames, GOP = fps, yuv420p, FLV to the URL last', () => {
    const args = ffmpegArgs({ ...cam, fps: 25, gop: 25 }, 'libx264');
    expect(after(args, '-c:v')).toBe('libx264');
    expect(after(args, '-tune')).toBe('zerolatency');
    expect(after(args, '-bf')).toBe('0');
    expect(after(args, '-g')).toBe('25');
    expect(after(args, '-keyint_min')).toBe('25');
    expect(after(args, '-pix_fmt')).toBe('yuv420p');
    expect(after(args, '-b:v')).toBe('2500000');
    expect(after(args, '-map')).toBe('0:v:0'); // the camera's picture alone
    expect(args.slice(-3)).toEqual(['-f', 'flv', 'rtmp://127.0.0.1:1935/live/cam']);
  });

  it('with an RTP port, one encode goes to nginx-rtmp and to camfleet-webrtc through the tee muxer; RTP failing never ends it', () => {
    const args = ffmpegArgs({ ...cam, rtpPort: 8890 }, 'libx264');
    expect(after(args, '-flags')).toBe('+global_header'); // FLV's stream header: tee asks none of the encoder
    expect(args.slice(-3, -1)).toEqual(['-f', 'tee']);
    expect(args.at(-1)!.split('|')).toEqual([
      '[f=flv:onfail=abort:flvflags=no_duration_filesize:tcp_nodelay=1]rtmp://127.0.0.1:1935/live/cam',
      '[f=rtp:payload_type=96:onfail=ignore:bsfs/v=dump_extra=freq=keyframe]rtp://127.0.0.1:8890?pkt_size=1200',
    ]);
  });

  it("a tee target is escaped for av_get_token: \\, ' and | lose their meaning", () => {
    expect(teeSlave({ f: 'flv' }, "rtmp://h/a|b'c\\d")).toBe("[f=flv]rtmp://h/a\\|b\\'c\\\\d");
  });

  it('h264_v4l2m2m: a bitrate and a VBV buffer, no B-frames, GOP = fps, yuv420p, no x264 options', () => {
    const args = ffmpegArgs(cam, 'h264_v4l2m2m');
    expect(after(args, '-c:v')).toBe('h264_v4l2m2m');
    expect(after(args, '-b:v')).toBe('2500000');
    expect(after(args, '-maxrate')).toBe('2500000');
    expect(after(args, '-bufsize')).toBe('1250000');
    expect(after(args, '-bf')).toBe('0');
    expect(after(args, '-g')).toBe('30');
    expect(after(args, '-pix_fmt')).toBe('yuv420p');
    expect(args).not.toContain('-tune');
    expect(args).not.toContain('-preset');
  });

  it('a camera that delivers H.264 is passed through under auto, re-encoded when an encoder is named', () => {
    expect(impliedCodec({ ...cam, inputFormat: 'h264' })?.codec).toBe('copy');
    expect(impliedCodec({ ...cam, inputFormat: 'h264', encoder: 'libx264' })?.codec).toBe('libx264');
    expect(impliedCodec(cam)).toBeUndefined(); // auto on MJPEG: must probe
    const args = ffmpegArgs({ ...cam, inputFormat: 'h264' }, 'copy');
    expect(after(args, '-input_format')).toBe('h264');
    expect(after(args, '-c:v')).toBe('copy');
    expect(args).not.toContain('-pix_fmt');
  });

  it('lavfi:testsrc2 is paced in real time at the configured size and rate', () => {
    const args = ffmpegArgs({ ...cam, device: 'lavfi:testsrc2' }, 'libx264');
    expect(args.slice(args.indexOf('-re'), args.indexOf('-re') + 5)).toEqual(['-re', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30']);
  });

  it('file: reads the camera format from a path (a FIFO stands in for a camera)', () => {
    expect(after(ffmpegArgs({ ...cam, device: 'file:/tmp/cam.mjpeg' }, 'libx264'), '-f')).toBe('mjpeg');
    const raw = ffmpegArgs({ ...cam, device: 'file:/tmp/cam.yuv', inputFormat: 'yuyv422' }, 'libx264');
    expect(after(raw, '-pixel_format')).toBe('yuyv422');
    expect(after(raw, '-i')).toBe('/tmp/cam.yuv');
  });

  it('the encoder probe encodes one synthetic frame, never opening the camera', () => {
    const args = encoderProbeArgs(cam, 'h264_v4l2m2m');
    expect(after(args, '-f')).toBe('lavfi');
    expect(after(args, '-frames:v')).toBe('1');
    expect(after(args, '-c:v')).toBe('h264_v4l2m2m');
    expect(args.join(' ')).not.toContain('/dev/video0');
    expect(args.slice(-3)).toEqual(['-f', 'flv', 'pipe:1']);
  });
});

describe('config and flags', () => {
  it('the seed unit\'s flags override the file', () => {
    const flags = parseFlags(['--device', '/dev/video2', '--resolution', '640x480', '--fps=15', '--bitrate', '800k', '--server', 'rtmp://10.0.0.1:1935/live/', '--stream-key', 'k', '--input-format', 'yuyv422', '--encoder', 'libx264']);
    expect(applyFlags(cam, flags)).toMatchObject({
      device: '/dev/video2', width: 640, height: 480, fps: 15, gop: 15, bitrate: 800_000,
      server: 'rtmp://10.0.0.1:1935/live', streamKey: 'k', inputFormat: 'yuyv422', encoder: 'libx264',
    });
    // A GOP given explicitly wins over following the fps.
    expect(applyFlags(cam, parseFlags(['--fps', '15', '--gop', '60'])).gop).toBe(60);
  });

  it('unknown flags and bad values are errors naming the flag', () => {
    expect(() => parseFlags(['--devcie', 'x'])).toThrow(/Unknown option '--devcie' \(see --help\)/);
    expect(() => parseFlags(['--device'])).toThrow(/--device <value>' argument missing/);
    expect(() => applyFlags(cam, parseFlags(['--resolution', '720p']))).toThrow(/--resolution must look like 1280x720/);
    expect(() => applyFlags(cam, parseFlags(['--encoder', 'nvenc']))).toThrow(/encoder must be one of auto, h264_v4l2m2m, libx264/);
  });

  it('finds the RTMP server to wait for in the URL', () => {
    expect(rtmpEndpoint('rtmp://127.0.0.1:1936/live')).toEqual({ host: '127.0.0.1', port: 1936 });
    expect(rtmpEndpoint('rtmp://pi1.local/live')).toEqual({ host: 'pi1.local', port: 1935 });
    expect(rtmpEndpoint('rtmp://[::1]:1935/live')).toEqual({ host: '::1', port: 1935 });
  });
});
