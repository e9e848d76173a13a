// Config in, ffmpeg argv out. Pure: everything about how the stream is captured and encoded is
// decided here, so unit tests can read every flag without a camera or an ffmpeg.
import { libcameraId, type CameraConfig } from '../contract/camera.ts';
import { h264Level } from '../contract/h264-profile.ts';
import { rtmpUrl, type StreamerSettings } from './config.ts';

/** What actually encodes: `copy` passes a camera's own H.264 through untouched. */
export type VideoCodec = 'h264_v4l2m2m' | 'libx264' | 'copy';

export type Source =
  | { kind: 'v4l2'; path: string }
  | { kind: 'lavfi'; graph: string }
  | { kind: 'file'; path: string }
  | { kind: 'libcamera'; id: string };

/** `/dev/video0`, `lavfi:testsrc2`, `file:/path` or `libcamera:<id>` (see CameraConfig.device). */
export function parseSource(device: string): Source {
  const id = libcameraId(device);
  if (id !== undefined) return { kind: 'libcamera', id };
  if (device.startsWith('lavfi:')) return { kind: 'lavfi', graph: device.slice('lavfi:'.length) || 'testsrc2' };
  if (device.startsWith('file:')) return { kind: 'file', path: device.slice('file:'.length) };
  return { kind: 'v4l2', path: device };
}

/** The path to wait for before starting ffmpeg; none for a synthetic source or libcamera (no device node to name). */
export function sourcePath(device: string): string | undefined {
  const source = parseSource(device);
  return source.kind === 'lavfi' || source.kind === 'libcamera' ? undefined : source.path;
}

/** The program that captures a libcamera camera for ffmpeg: GStreamer's, on Debian and Raspberry Pi OS alike. */
export const captureProgram = 'gst-launch-1.0';

/** A size or up to 16 pixels less, as a GStreamer caps range. */
const near = (n: number): string => `[${Math.max(16, n - 16)},${n}]`;

/**
 * The capture in front of ffmpeg, for a source ffmpeg cannot open itself (libcamera): its argv
 * (for captureProgram), writing raw I420 frames at the configured size and rate to stdout, which
 * becomes ffmpeg's stdin. Undefined for the sources ffmpeg reads directly.
 *
 * libcamerasrc is asked for the configured size or a little less (libcamera picks the sensor mode
 * and has the ISP scale to it, but may round the size down to what its hardware aligns to: vimc
 * wants multiples of 6); videoconvert/videoscale then deliver exactly the configured format and
 * size, and videorate makes the rate exact whatever the sensor's own pace. Without the size, 0.0.3's
 * libcamerasrc would capture at the camera's default (1080p) and scale it down.
 * gst-launch escapes each argv element itself, so an id with spaces stays one property value.
 */
export function captureArgs(c: CameraConfig): string[] | undefined {
  const source = parseSource(c.device);
  if (source.kind !== 'libcamera') return undefined;
  return [
    '-q',
    '-e',
    'libcamerasrc',
    ...(source.id ? [`camera-name=${source.id}`] : []),
    '!', `video/x-raw,width=${near(c.width)},height=${near(c.height)}`,
    '!', 'videoconvert',
    '!', 'videoscale',
    '!', 'videorate',
    '!', `video/x-raw,format=I420,width=${c.width},height=${c.height},framerate=${c.fps}/1`,
    '!', 'fdsink', 'fd=1',
  ];
}

/** The source at the configured size and rate: `testsrc2` -> `testsrc2=size=1280x720:rate=30`. */
function lavfiGraph(graph: string, c: CameraConfig): string {
  // A graph with its own options is the operator's business; a bare source gets ours.
  return graph.includes('=') ? graph : `${graph}=size=${c.width}x${c.height}:rate=${c.fps}`;
}

/**
 * Without a probe, which codec the config implies, or undefined when `auto` must probe.
 *
 * A camera that already emits H.264 is passed through (`copy`) when the encoder is `auto`:
 * decoding and re-encoding would cost a Pi most of a core (all of it on a Pi 5 with no hardware
 * encoder) and add a frame or two of latency, for no gain in picture. GOP and bitrate then come
 * from the camera's own controls. Naming an encoder explicitly re-encodes, which is the way to
 * force our GOP and bitrate onto such a camera.
 */
export function impliedCodec(c: CameraConfig): { codec: VideoCodec; reason: string } | undefined {
  if (c.encoder !== 'auto') return { codec: c.encoder, reason: 'configured' };
  if (c.inputFormat === 'h264' && parseSource(c.device).kind !== 'libcamera') return { codec: 'copy', reason: 'the camera delivers H.264: passed through without re-encoding' };
  return undefined;
}

function inputArgs(c: CameraConfig): string[] {
  const size = `${c.width}x${c.height}`;
  const source = parseSource(c.device);
  switch (source.kind) {
    case 'v4l2':
      return ['-f', 'v4l2', '-input_format', c.inputFormat, '-video_size', size, '-framerate', String(c.fps), '-i', source.path];
    case 'lavfi':
      // -re: a synthetic source would otherwise run as fast as the CPU allows; a camera doesn't.
      return ['-re', '-f', 'lavfi', '-i', lavfiGraph(source.graph, c)];
    case 'file': {
      // A recording or a FIFO carrying what a camera would deliver, read at camera speed.
      const demuxer =
        c.inputFormat === 'yuyv422'
          ? ['-f', 'rawvideo', '-pixel_format', 'yuyv422', '-video_size', size]
          : ['-f', c.inputFormat === 'mjpeg' ? 'mjpeg' : 'h264'];
      return ['-re', ...demuxer, '-framerate', String(c.fps), '-i', source.path];
    }
    case 'libcamera':
      // The capture (captureArgs) paces the frames and writes them to ffmpeg's stdin.
      return ['-f', 'rawvideo', '-pixel_format', 'yuv420p', '-video_size', size, '-framerate', String(c.fps), '-i', 'pipe:0'];
  }
}

function encodeArgs(c: CameraConfig, codec: VideoCodec): string[] {
  if (codec === 'copy') return ['-c:v', 'copy'];
  // A VBV buffer of half a second: keyframes stay sharp while bursts stay short on Wi-Fi.
  const rate = ['-b:v', String(c.bitrate), '-maxrate', String(c.bitrate), '-bufsize', String(Math.round(c.bitrate / 2))];
  // MJPEG cameras deliver yuvj422p and YUYV cameras yuyv422: encoders and players want yuv420p.
  const common = ['-pix_fmt', 'yuv420p', ...rate, '-g', String(c.gop), '-bf', '0'];
  // Constrained Baseline at the lowest level that fits: what every browser's WebRTC decodes, so
  // the viewer page's WebRTC path forwards this very encode (see h264-profile.ts).
  const level = String(h264Level(c.width, c.height, c.fps));
  if (codec === 'libx264') {
    // zerolatency: no lookahead, no frame threading delay; a fixed GOP so players join in <= 1 GOP.
    return ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-level:v', level, ...common, '-keyint_min', String(c.gop), '-sc_threshold', '0'];
  }
  // The V4L2 encoder takes the profile as FFmpeg's number: 578 is Constrained Baseline.
  return ['-c:v', 'h264_v4l2m2m', '-profile:v', '578', '-level:v', level, ...common];
}

/**
 * The streaming command. Progress goes to stdout once a second (key=value blocks the supervisor
 * reads to know frames are flowing); only errors go to stderr.
 */
export function ffmpegArgs(c: StreamerSettings, codec: VideoCodec): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel', 'error',
    '-nostats',
    '-progress', 'pipe:1',
    '-stats_period', '1',
    ...inputArgs(c),
    '-an',
    ...encodeArgs(c, codec),
    // RTMP cannot seek back to patch duration/filesize at the end: don't try.
    '-flvflags', 'no_duration_filesize',
    // Frames go out as soon as they are encoded, not when Nagle's algorithm says so.
    '-tcp_nodelay', '1',
    '-f', 'flv',
    rtmpUrl(c),
  ];
}

/**
 * A one-frame test encode with `codec` from a synthetic source, muxed to FLV on stdout as the
 * stream would be: proves the encoder works on this board, and that its output carries what
 * viewers need (see flv-check.ts), without touching the camera (which ffmpeg may hold: "Device or
 * resource busy").
 */
export function encoderProbeArgs(c: CameraConfig, codec: 'h264_v4l2m2m' | 'libx264'): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel', 'error',
    '-f', 'lavfi',
    '-i', `testsrc2=size=${c.width}x${c.height}:rate=${c.fps}`,
    '-frames:v', '1',
    '-an',
    ...encodeArgs(c, codec),
    '-f', 'flv',
    'pipe:1',
  ];
}
