// The camera and its encode, as the inventory describes it and the streamer runs it: one set of
// types, defaults, limits and checks that both sides import, so the provisioner can never render a
// camera the streamer on the Pi would refuse, nor the reverse. Pure and dependency-free: it is
// bundled into the streamer for the Pi's Node 18.

export const inputFormats = ['mjpeg', 'yuyv422', 'h264'] as const;
export const encoders = ['auto', 'h264_v4l2m2m', 'libx264'] as const;

/** What the camera delivers. */
export type InputFormat = (typeof inputFormats)[number];
/** `auto` tries the Pi's hardware encoder with a one-frame test encode and falls back to libx264. */
export type Encoder = (typeof encoders)[number];

export interface CameraConfig {
  /**
   * Where the picture comes from:
   * - a V4L2 device path, e.g. `/dev/video0` (the streamer waits for it to exist);
   * - `lavfi:<source>`, e.g. `lavfi:testsrc2`: ffmpeg's synthetic test pattern at the configured
   *   size and fps, paced in real time — a camera stand-in for tests and the lab;
   * - `file:<path>`: a recorded or piped stream in `inputFormat` (a FIFO works), read in real
   *   time; waited for like a device, so tests can unplug and replug a "camera" without V4L2.
   * - `libcamera:<id>`: a camera libcamera drives (a Raspberry Pi Camera Module on the CSI
   *   connector), by its libcamera id, e.g. `libcamera:/base/soc/i2c0mux/i2c@1/imx708@1a`;
   *   `libcamera:` alone is the first camera libcamera lists. Captured through GStreamer's
   *   libcamerasrc as raw frames (inputFormat does not apply) into the same encoder.
   */
  device: string;
  inputFormat: InputFormat;
  width: number;
  height: number;
  fps: number;
  /** Bits per second. */
  bitrate: number;
  encoder: Encoder;
  /** Keyframe interval in frames; defaults to fps (a keyframe a second, so players join fast). */
  gop: number;
}

/**
 * The one set of limits. fps stops at 120: what the inventory has always allowed (its schema says
 * so to editors, and must agree: test/contract.test.ts) and what a Pi camera delivers at most; the
 * streamer's old 240 was never reachable through camfleet.
 */
export const cameraLimits = {
  fps: { min: 1, max: 120 },
  gop: { min: 1, max: 600 },
  width: { min: 160, max: 4096 },
  height: { min: 120, max: 2160 },
  bitrate: { min: 64_000, max: 50_000_000 },
  /** 1080p60 is the most a Pi's camera path and the H.264 level it encodes to can carry. */
  pixelsPerSecond: 1920 * 1080 * 60,
  /** The Pi's hardware encoder's largest frame. */
  hardwareEncoder: { width: 1920, height: 1088 },
  /** A joining player waits for a keyframe: at most this long. */
  keyframeSeconds: 10,
} as const;

export const defaultCamera: CameraConfig = {
  device: '/dev/video0',
  inputFormat: 'mjpeg',
  width: 1280,
  height: 720,
  fps: 30,
  bitrate: 2_500_000,
  encoder: 'auto',
  gop: 30,
};

/** The device form of a libcamera camera: `libcamera:<id>`. */
export const libcameraPrefix = 'libcamera:';

/**
 * A libcamera camera id as libcamera prints it (`/base/soc/i2c0mux/i2c@1/imx708@1a` on a Pi,
 * `platform/vimc.0 Sensor B` for the kernel's vimc): it goes into a GStreamer pipeline's property
 * and observe's shell, so nothing that quotes, escapes or links pipeline elements (`!`) is allowed.
 */
export const libcameraIdPattern = /^[A-Za-z0-9 /@._:,+-]{0,255}$/;

/** The libcamera id of a `libcamera:` device ('' for the first camera), undefined for any other device. */
export function libcameraId(device: string): string | undefined {
  return device.startsWith(libcameraPrefix) ? device.slice(libcameraPrefix.length) : undefined;
}

/** Where a camera's picture comes from, for people (`camfleet status`): `libcamera <id>`, `v4l2 /dev/video0`, ... */
export function describeSource(device: string): string {
  const id = libcameraId(device);
  if (id !== undefined) return `libcamera ${id || '(first camera)'}`;
  for (const kind of ['lavfi', 'file']) if (device.startsWith(`${kind}:`)) return `${kind} ${device.slice(kind.length + 1)}`;
  return `v4l2 ${device}`;
}

/** The bitrate as the inventory and `--bitrate` write it: `2500k`, `2.5M` or `2500000`. */
export const bitratePattern = /^([0-9]+(?:\.[0-9]+)?)([kM]?)$/;

/** `2500k` -> 2500000, `2.5M` -> 2500000, `800000` -> 800000; undefined when it is none of these. */
export function parseBitrate(text: string): number | undefined {
  const m = bitratePattern.exec(text.trim());
  if (!m) return undefined;
  const scale = m[2] === 'M' ? 1_000_000 : m[2] === 'k' ? 1_000 : 1;
  return Math.round(Number(m[1]) * scale);
}

/** The setting a problem is about, as the inventory names it under `camera.`. */
export type CameraSetting = 'device' | 'inputFormat' | 'resolution' | 'fps' | 'bitrate' | 'encoder' | 'gop';

export interface CameraProblem {
  setting: CameraSetting;
  message: string;
}

const whole = (n: number, { min, max }: { min: number; max: number }): boolean => Number.isInteger(n) && n >= min && n <= max;

/**
 * Everything wrong with a camera, each naming its setting; the inventory puts them at
 * file:line:col, the streamer names its config file. Values are numbers and enums, never secrets.
 */
export function cameraProblems(c: CameraConfig): CameraProblem[] {
  const problems: CameraProblem[] = [];
  const bad = (setting: CameraSetting, message: string) => problems.push({ setting, message });
  const l = cameraLimits;
  const { width, height, fps, bitrate, gop, encoder } = c;
  if (!c.device || (c.device.startsWith('file:') && c.device.length === 'file:'.length)) bad('device', 'needs a device path, lavfi:<source>, file:<path> or libcamera:<id>');
  if (!(inputFormats as readonly string[]).includes(c.inputFormat)) bad('inputFormat', `must be one of ${inputFormats.join(', ')}`);
  const libcamera = libcameraId(c.device ?? '');
  if (libcamera !== undefined) {
    if (!libcameraIdPattern.test(libcamera) || libcamera !== libcamera.trim())
      bad('device', 'a libcamera id is letters, digits, spaces (not at either end) and / @ . _ : , + - (as `cam -l` prints it), at most 255 characters');
    if (c.inputFormat === 'h264') bad('inputFormat', 'a libcamera camera delivers raw frames that camfleet encodes: h264 pass-through does not apply');
  }
  if (!(encoders as readonly string[]).includes(encoder)) bad('encoder', `must be one of ${encoders.join(', ')}`);
  if (width % 2 || height % 2) bad('resolution', `${width}x${height}: width and height must be even (yuv420p)`);
  if (!whole(width, l.width) || !whole(height, l.height))
    bad('resolution', `${width}x${height} is outside ${l.width.min}x${l.height.min} .. ${l.width.max}x${l.height.max}`);
  if (!whole(fps, l.fps)) bad('fps', `must be a whole number from ${l.fps.min} to ${l.fps.max}`);
  else if (width * height * fps > l.pixelsPerSecond) bad('fps', `${width}x${height} at ${fps} fps is more than 1080p60 worth of pixels per second`);
  if (encoder === 'h264_v4l2m2m' && (width > l.hardwareEncoder.width || height > l.hardwareEncoder.height))
    bad('encoder', `h264_v4l2m2m encodes at most ${l.hardwareEncoder.width}x${l.hardwareEncoder.height}, not ${width}x${height}`);
  if (!(bitrate >= l.bitrate.min && bitrate <= l.bitrate.max)) bad('bitrate', 'must be between 64k and 50M');
  if (!whole(gop, l.gop)) bad('gop', `must be a whole number from ${l.gop.min} to ${l.gop.max}`);
  else if (gop > fps * l.keyframeSeconds) bad('gop', `a keyframe every ${gop} frames at ${fps} fps makes joining viewers wait over ${l.keyframeSeconds} s`);
  return problems;
}
