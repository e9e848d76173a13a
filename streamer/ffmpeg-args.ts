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
    '-map', '0:v:0',
    ...encodeArgs(c, codec),
    ...outputArgs(c),
  ];
}

// RTMP cannot seek back to patch duration/filesize at the end: don't try. And frames go out as
// soon as they are encoded, not when Nagle's algorithm says so.
const rtmpOptions = { flvflags: 'no_duration_filesize', tcp_nodelay: '1' };

/**
 * Where the encode goes: nginx-rtmp alone, or (with an RTP port) nginx-rtmp and camfleet-webrtc
 * at once through the tee muxer, so that no second ffmpeg reads the stream back for WebRTC.
 *
 * The RTMP side failing ends ffmpeg, as without the tee. The RTP side: SPS and PPS before every
 * keyframe (dump_extra), so a viewer can start at any keyframe; a failure there drops that output
 * for the rest of the run (onfail) and never ends the RTMP stream; 1200-byte packets stay under
 * any Wi-Fi or VPN MTU once SRTP and UDP headers are added. Nothing listening on the port costs
 * nothing but the packets (the UDP socket is not connected: no error comes back). Each run of
 * ffmpeg sends under a new random SSRC: camfleet-webrtc takes a new SSRC as a new stream, whose
 * size and SPS may differ (webrtc/rtp-source.ts).
 * The tee muxer asks no global header of the encoder by itself, and FLV needs one: +global_header.
 */
function outputArgs(c: StreamerSettings): string[] {
  const rtmp = rtmpUrl(c);
  if (c.rtpPort === undefined) return [...Object.entries(rtmpOptions).flatMap(([k, v]) => [`-${k}`, v]), '-f', 'flv', rtmp];
  return [
    '-flags', '+global_header',
    '-f', 'tee',
    [
      // Said outright: this ffmpeg's tee goes on without a failed output unless told to abort,
      // and an encode that no longer reaches nginx-rtmp must end, for the streamer to start it again.
      teeSlave({ f: 'flv', onfail: 'abort', ...rtmpOptions }, rtmp),
      rtpOutput(c.rtpPort),
    ].join('|'),
  ];
}

/** The tee muxer's RTP output to camfleet-webrtc on loopback (see outputArgs). */
export function rtpOutput(port: number): string {
  return teeSlave({ f: 'rtp', payload_type: '96', onfail: 'ignore', 'bsfs/v': 'dump_extra=freq=keyframe' }, `rtp://127.0.0.1:${port}?pkt_size=1200`);
}

/**
 * One output of the tee muxer: `[option=value:…]target`. The one place tee's syntax is written:
 * the target is escaped for av_get_token (a backslash before \, ' and the slave separator |);
 * the options are ours, constants without : [ ] | or \.
 */
export function teeSlave(options: Record<string, string>, target: string): string {
  const spec = Object.entries(options).map(([k, v]) => `${k}=${v}`).join(':');
  return `[${spec}]${target.replace(/[\\'|]/g, (ch) => `\\${ch}`)}`;
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
