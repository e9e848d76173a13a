// The one contract between the provisioner and the streamer (contract/): the limits the
// inventory enforces are the ones the streamer enforces, the bitrate is read one way, and
// streamer.json is checked by the same function on both sides.
import { describe, expect, it } from 'vitest';
import schema from '../schemas/inventory.schema.json' with { type: 'json' };
import { bitratePattern, cameraLimits, cameraProblems, defaultCamera, encoders, inputFormats, parseBitrate } from '../contract/camera.ts';
import { ConfigError, defaultStreamerConfig, parseStreamKey, streamKeyPattern, validateStreamerConfig } from '../contract/streamer-config.ts';

const camera = schema.$defs.camera.properties;

/** The message validateStreamerConfig throws for `raw`, or undefined when it accepts it. */
function refusal(raw: unknown): string | undefined {
  try {
    validateStreamerConfig(raw, 'streamer.json');
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
}

describe('the inventory schema says what the contract says', () => {
  // The schema is a JSON file editors read; it cannot import the contract, so it is held to it here.
  it('the same fps and gop limits', () => {
    expect([camera.fps.minimum, camera.fps.maximum]).toEqual([cameraLimits.fps.min, cameraLimits.fps.max]);
    expect([camera.gop.minimum, camera.gop.maximum]).toEqual([cameraLimits.gop.min, cameraLimits.gop.max]);
    expect(cameraLimits.fps.max).toBe(120);
  });

  it('the same input formats and encoders', () => {
    expect(camera.inputFormat.enum).toEqual([...inputFormats]);
    expect(camera.encoder.enum).toEqual([...encoders]);
  });

  it('the same stream key: its characters and at most 256 of them', () => {
    const inline = schema.$defs.stream.properties.key.oneOf[0] as { pattern: string; maxLength: number };
    for (const key of ['cam', 'Cam_1-x', 'k'.repeat(256), 'k'.repeat(257), '', 'cam!', 'cam key'])
      expect(new RegExp(inline.pattern).test(key) && key.length <= inline.maxLength, key).toBe(streamKeyPattern.test(key));
  });

  it('the same bitrate syntax', () => {
    const schemaPattern = new RegExp(camera.bitrate.pattern);
    for (const text of ['2500k', '2.5M', '800000', '0.5M', '2500K', '2.5m', '2,5M', '1e6', '', 'k', '2500kb', ' 100k'])
      expect(bitratePattern.test(text), text).toBe(schemaPattern.test(text));
  });
});

describe('parseBitrate', () => {
  it('reads plain, k and M bitrates, and nothing else', () => {
    expect(parseBitrate('2500k')).toBe(2_500_000);
    expect(parseBitrate('2.5M')).toBe(2_500_000);
    expect(parseBitrate('800000')).toBe(800_000);
    expect(parseBitrate('0.0015M')).toBe(1500);
    expect(parseBitrate('2.5m')).toBeUndefined(); // milli, not mega
    expect(parseBitrate('fast')).toBeUndefined();
  });
});

describe('cameraProblems', () => {
  it('accepts the defaults', () => {
    expect(cameraProblems(defaultCamera)).toEqual([]);
  });

  it('names each setting that is wrong', () => {
    const problems = cameraProblems({ ...defaultCamera, width: 641, fps: 121, bitrate: 1000, gop: 0, encoder: 'nvenc' as never });
    expect(problems.map((p) => p.setting).sort()).toEqual(['bitrate', 'encoder', 'fps', 'gop', 'resolution']);
  });

  it('holds the pixel rate to 1080p60 and the hardware encoder to 1920x1088', () => {
    expect(cameraProblems({ ...defaultCamera, width: 1920, height: 1080, fps: 60 })).toEqual([]);
    expect(cameraProblems({ ...defaultCamera, width: 1920, height: 1080, fps: 61 })).toEqual([
      { setting: 'fps', message: '1920x1080 at 61 fps is more than 1080p60 worth of pixels per second' },
    ]);
    expect(cameraProblems({ ...defaultCamera, width: 2560, height: 1440, fps: 15, encoder: 'h264_v4l2m2m' })).toEqual([
      { setting: 'encoder', message: 'h264_v4l2m2m encodes at most 1920x1088, not 2560x1440' },
    ]);
  });
});

describe('validateStreamerConfig (what the streamer reads from streamer.json)', () => {
  it('accepts the defaults and gives them back as they are', () => {
    expect(validateStreamerConfig({ ...defaultStreamerConfig }, 'streamer.json')).toEqual(defaultStreamerConfig);
  });

  it('reports every bad field at once, each by name', () => {
    const message = refusal({ ...defaultStreamerConfig, fps: 0, width: 641, bitrate: '2500k', extra: 1 });
    expect(message).toMatch(/^streamer.json: /);
    expect(message).toMatch(/fps: must be a whole number from 1 to 120/);
    expect(message).toMatch(/width x height: 641x720: width and height must be even/);
    expect(message).toMatch(/bitrate must be a whole number, got "2500k"/);
    expect(message).toMatch(/unknown field extra/);
    // bitrate is reported once, as the wrong type, not again as out of range.
    expect(message).not.toMatch(/between 64k and 50M/);
  });

  it('refuses the fps the inventory refuses: 121 fails on both sides', () => {
    expect(refusal({ ...defaultStreamerConfig, fps: 120, gop: 120, width: 640, height: 480 })).toBeUndefined();
    expect(refusal({ ...defaultStreamerConfig, fps: 121, gop: 121, width: 640, height: 480 })).toMatch(/fps: must be a whole number from 1 to 120/);
  });

  it('takes the server without a key, and refuses one with a key in it without quoting it', () => {
    expect(refusal({ ...defaultStreamerConfig, server: 'rtmp://[::1]:1936/live' })).toBeUndefined();
    const message = refusal({ ...defaultStreamerConfig, server: 'rtmp://127.0.0.1:1935/live/secretKey42' });
    expect(message).toMatch(/server must look like rtmp:\/\/host:port\/application/);
    expect(message).not.toContain('secretKey42');
    // The old file's packed URL is refused by name, not quietly ignored.
    expect(refusal({ ...defaultStreamerConfig, rtmpUrl: 'rtmp://127.0.0.1:1935/live/k' })).toMatch(/unknown field rtmpUrl/);
  });

  it('takes an RTP port for camfleet-webrtc, or none; anything but a port is refused, named', () => {
    expect(refusal({ ...defaultStreamerConfig, rtpPort: 8890 })).toBeUndefined();
    expect(refusal({ ...defaultStreamerConfig, rtpPort: 0 })).toMatch(/rtpPort must be a UDP port, 1-65535, got 0/);
    expect(refusal({ ...defaultStreamerConfig, rtpPort: '8890' })).toMatch(/rtpPort must be a UDP port/);
  });
});

describe('parseStreamKey (the key file)', () => {
  it('takes the key with or without one trailing newline', () => {
    expect(parseStreamKey('secretKey42\n', 'stream-key')).toBe('secretKey42');
    expect(parseStreamKey('cam', 'stream-key')).toBe('cam');
  });

  it('refuses anything else without quoting it', () => {
    for (const text of ['', 'two\nlines', 'spa ce', 'x'.repeat(257)]) {
      expect(() => parseStreamKey(text, 'stream-key')).toThrow(/^stream-key: a stream key is 1-256 letters, digits, _ and -/);
      try {
        parseStreamKey(text, 'stream-key');
      } catch (e) {
        if (text) expect((e as Error).message).not.toContain(text);
      }
    }
  });
});
