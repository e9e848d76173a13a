import { execFileSync } from 'node:child_process';
// A libcamera camera (issue 26), the parts that need no Pi: the inventory form and its located
// errors, the libcamera part's packages, the capture and ffmpeg commands, and the plan's warnings.
// The real capture runs in test/libcamera.e2e.test.ts (the VM lab Pi's vimc camera).
import { inventoryProblems as problems } from './support/inventory-problems.ts';
import { describe, expect, it } from 'vitest';
import { makePlan } from '../provision/core/plan/plan.ts';
import { formatPlan, planToJson } from '../provision/core/plan/format.ts';
import { libcameraWarnings } from '../provision/core/plan/libcamera-warnings.ts';
import type { LibcameraCamera } from '../provision/core/types.ts';
import { describeSource } from '../contract/camera.ts';
import { defaultConfig, type StreamerSettings } from '../streamer/config.ts';
import { captureArgs, ffmpegArgs, impliedCodec, sourcePath } from '../streamer/ffmpeg-args.ts';
import { observeScript } from '../provision/facts/observe/script.ts';
import { convergedObservation, render } from './support/fleet.ts';
import { parseLibcamera } from '../provision/facts/observe/libcamera.ts';
import { parseObserved } from '../provision/facts/observe/parse.ts';
import { readFileSync } from 'node:fs';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/libcamera/${name}`, import.meta.url), 'utf8').trimEnd().split('\n');

const fleet = (device: string, extra = '') => `hosts:
  pi1:
    address: 10.0.0.1
    camera:
      device: '${device}'
      resolution: 640x480${extra}
`;


const vimc: LibcameraCamera = {
  index: 1,
  id: 'platform/vimc.0 Sensor B',
  model: 'Sensor B',
  modes: [{ format: 'BGR888', min: { width: 48, height: 48 }, max: { width: 4096, height: 2160 }, sizes: [] }],
};

describe('the inventory', () => {
  it('takes libcamera:<id> and libcamera: alone (the first camera)', () => {
    expect(problems(fleet('libcamera:/base/soc/i2c0mux/i2c@1/imx708@1a'))).toEqual([]);
    expect(problems(fleet('libcamera:platform/vimc.0 Sensor B'))).toEqual([]);
    expect(problems(fleet('libcamera:'))).toEqual([]);
  });

  it('refuses an id that would reach GStreamer or a shell as more than a value, at its place, with exit-2 problems', () => {
    for (const bad of ['libcamera:a ! fakesink', 'libcamera:x"y', 'libcamera:$(reboot)', 'libcamera: padded ']) {
      const found = problems(fleet(bad));
      expect(found, bad).toHaveLength(1);
      expect(found[0], bad).toMatch(/^inventory\.yaml:5:15 hosts\.pi1\.camera\.device: /);
    }
  });

  it('refuses h264 pass-through for a libcamera camera (it delivers raw frames)', () => {
    expect(problems(fleet('libcamera:', '\n      inputFormat: h264'))).toEqual([
      'inventory.yaml:7:20 hosts.pi1.camera.inputFormat: a libcamera camera delivers raw frames that camfleet encodes: h264 pass-through does not apply',
    ]);
  });
});

describe('render', () => {
  it('installs libcamera and GStreamer only on a host with a libcamera camera', () => {
    const [lib] = render(fleet('libcamera:'));
    const [v4l2] = render(fleet('/dev/video0'));
    expect(lib!.packages).toEqual(expect.arrayContaining(['gstreamer1.0-libcamera', 'gstreamer1.0-tools', 'gstreamer1.0-plugins-base', 'libcamera-ipa', 'libcamera-tools']));
    expect(v4l2!.packages.filter((p) => /camera|gstreamer/.test(p))).toEqual([]);
    expect(lib!.files.find((f) => f.path === '/etc/camfleet/streamer.json')!.content).toContain('"device": "libcamera:"');
  });
});

describe('the streamer', () => {
  const cam: StreamerSettings = { ...defaultConfig, device: 'libcamera:platform/vimc.0 Sensor B', width: 320, height: 240, fps: 10, gop: 10, server: 'rtmp://127.0.0.1:1935/live', streamKey: 'cam' };

  it('captures with libcamerasrc at the configured size and rate, raw I420 to stdout; the id stays one argv element', () => {
    expect(captureArgs(cam)).toEqual([
      '-q', '-e', 'libcamerasrc', 'camera-name=platform/vimc.0 Sensor B',
      '!', 'video/x-raw,width=[304,320],height=[224,240]', '!', 'videoconvert', '!', 'videoscale', '!', 'videorate',
      '!', 'video/x-raw,format=I420,width=320,height=240,framerate=10/1', '!', 'fdsink', 'fd=1',
    ]);
    expect(captureArgs({ ...cam, device: 'libcamera:' })).not.toContain('camera-name=');
    expect(captureArgs({ ...cam, device: '/dev/video0' })).toBeUndefined();
  });

  it('ffmpeg reads those frames from stdin into the usual encoder; no device path to wait for', () => {
    const args = ffmpegArgs(cam, 'libx264');
    expect(args.slice(args.indexOf('-f'), args.indexOf('-i') + 2)).toEqual(['-f', 'rawvideo', '-pixel_format', 'yuv420p', '-video_size', '320x240', '-framerate', '10', '-i', 'pipe:0']);
    expect(args).toContain('libx264');
    expect(sourcePath(cam.device)).toBeUndefined();
    // inputFormat h264 means a camera's own H.264 for V4L2; never for libcamera's raw frames.
    expect(impliedCodec({ ...cam, encoder: 'auto', inputFormat: 'h264' })).toBeUndefined();
  });
});

describe('observe and plan', () => {
  it("reads libcamera's cameras from cam's own output, recorded on the VM lab Pi's vimc", () => {
    const [camera] = parseLibcamera(fixture('vimc-cam-l.txt'), new Map([[1, fixture('vimc-cam-c1-I.head80.txt')]]));
    expect(camera).toMatchObject({ index: 1, id: 'platform/vimc.0 Sensor B', model: 'Sensor B' });
    expect(camera!.modes.map((m) => `${m.format} ${m.min.width}x${m.min.height}-${m.max.width}x${m.max.height}`)).toEqual(['BGR888 48x48-4096x2160', 'RGB888 48x48-4096x2160']);
    expect(camera!.modes[0]!.sizes).toHaveLength(48);
    expect(camera!.modes[0]!.sizes).toEqual(expect.arrayContaining(['320x240', '1280x720', '1920x1080', '4096x2160']));
    expect(camera!.modesUnknown).toBeUndefined();
  });

  // cam 0.0.3's message for a camera another process holds, as its source prints it (not recorded here).
  it("a camera cam could not open (the streamer holds it) is listed with its modes unknown, in cam's words", () => {
    const [camera] = parseLibcamera(fixture('vimc-cam-l.txt'), new Map([[1, ['[0:00:01.0] [9] ERROR Camera camera.cpp:1 Camera in Running state trying acquire()', 'Failed to acquire camera platform/vimc.0 Sensor B']]]));
    expect(camera).toMatchObject({ id: 'platform/vimc.0 Sensor B', modes: [], modesUnknown: 'Failed to acquire camera platform/vimc.0 Sensor B' });
  });

  it("observe's lines: cameras when cam is there, nothing (not 'no camera') when it is not", () => {
    const desired = render(fleet('libcamera:'))[0]!;
    const lines = ['@fact os', 'debian 12', '@fact libcamera', 'tools', ...fixture('vimc-cam-l.txt').map((l) => `list\t${l}`), ...fixture('vimc-cam-c1-I.head80.txt').map((l) => `info\t1\t${l}`)];
    expect(parseObserved(lines.join('\n'), desired).libcamera?.map((c) => c.id)).toEqual(['platform/vimc.0 Sensor B']);
    expect(parseObserved(['@fact os', 'debian 12', '@fact libcamera', 'tools', 'list\t'].join('\n'), desired).libcamera).toEqual([]);
    expect(parseObserved('@fact os\ndebian 12\n@fact libcamera\n', desired).libcamera).toBeUndefined();
  });

  it('observe asks libcamera only for a libcamera camera', () => {
    expect(observeScript(render(fleet('libcamera:'))[0]!)).toMatch(/^LIBCAMERA=1$/m);
    expect(observeScript(render(fleet('/dev/video0'))[0]!)).toMatch(/^LIBCAMERA=0$/m);
    // And the snippet asks nothing unless told to: run here, with LIBCAMERA=0, its section is empty.
    const out = execFileSync('sh', ['-s'], { input: observeScript(render(fleet('/dev/video0'))[0]!), encoding: 'utf8' });
    expect(out).toMatch(/^@fact libcamera\n@fact pending$/m);
  });

  it('warns, before anything is written, of a camera libcamera does not see, naming those it does', () => {
    const [desired] = render(fleet('libcamera:/base/soc/i2c0mux/i2c@1/imx708@1a'));
    const plan = makePlan(desired!, { ...convergedObservation(desired!), libcamera: [vimc] });
    expect(plan.warnings).toEqual(['libcamera camera "/base/soc/i2c0mux/i2c@1/imx708@1a" not found: libcamera sees platform/vimc.0 Sensor B (Sensor B); the streamer will retry until it appears']);
    expect(libcameraWarnings(desired!, { ...convergedObservation(desired!), libcamera: [] })[0]).toMatch(/^libcamera sees no camera/);
  });

  it('warns of a size the camera has no mode for; the first camera stands for libcamera:', () => {
    const [desired] = render(fleet('libcamera:'));
    const observed = { ...convergedObservation(desired!), libcamera: [vimc] };
    expect(libcameraWarnings(desired!, observed)).toEqual([]);
    const big = { ...desired!, camera: { ...desired!.camera, size: { width: 4608, height: 2592 } } };
    expect(libcameraWarnings(big, observed)).toEqual(['libcamera camera platform/vimc.0 Sensor B (Sensor B) offers no 4608x2592 mode: its modes are BGR888 48x48-4096x2160']);
    // Modes unknown (the streamer holds the camera): no guess.
    expect(libcameraWarnings(big, { ...observed, libcamera: [{ ...vimc, modes: [], modesUnknown: 'Failed to acquire camera' }] })).toEqual([]);
    // cam not installed yet (a first run): said once, not as a missing camera.
    expect(libcameraWarnings(desired!, convergedObservation(desired!))).toEqual([expect.stringMatching(/not installed yet/)]);
  });

  it('the plan shows the cameras libcamera sees, with their modes, in text and JSON', () => {
    const [desired] = render(fleet('libcamera:'));
    const plan = makePlan(desired!, { ...convergedObservation(desired!), libcamera: [vimc] });
    expect(formatPlan(plan)).toContain('  · libcamera camera 1: platform/vimc.0 Sensor B (Sensor B), modes BGR888 48x48-4096x2160');
    expect(planToJson(plan).libcamera).toEqual([vimc]);
    const [v4l2] = render(fleet('/dev/video0'));
    expect(makePlan(v4l2!, { ...convergedObservation(v4l2!), libcamera: [vimc] }).libcamera).toBeUndefined();
  });

  it('a camera in use (libcamera 0.0.3 then lists none) is not reported missing', () => {
    const [desired] = render(fleet('libcamera:platform/vimc.0 Sensor B'));
    const plan = makePlan(desired!, { ...convergedObservation(desired!), libcamera: [], libcameraInUse: true });
    expect(plan.warnings).toEqual([]);
    expect(formatPlan(plan)).toContain('· libcamera lists no free camera: one is in use (the streamer capturing it)');
    expect(parseObserved('@fact libcamera\ntools\ninuse\n', desired!).libcameraInUse).toBe(true);
  });

  it('a V4L2 camera gets no libcamera warning', () => {
    const [desired] = render(fleet('/dev/video0'));
    expect(libcameraWarnings(desired!, convergedObservation(desired!))).toEqual([]);
  });
});

describe('status', () => {
  it('names the source', () => {
    expect(describeSource('libcamera:/base/soc/i2c0mux/i2c@1/imx708@1a')).toBe('libcamera /base/soc/i2c0mux/i2c@1/imx708@1a');
    expect(describeSource('libcamera:')).toBe('libcamera (first camera)');
    expect(describeSource('/dev/video0')).toBe('v4l2 /dev/video0');
    expect(describeSource('lavfi:testsrc2')).toBe('lavfi testsrc2');
  });
});
