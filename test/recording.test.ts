// Recording's settings and part (provision/core/parts/recording.ts), pure: layering, located
// refusals, and what render writes, runs and removes for it. The lab proves it records
// (recording.e2e.test.ts); the recorder script itself is shellchecked (shellcheck.test.ts).
import { inventoryProblems as problems } from './support/inventory-problems.ts';
import { describe, expect, it } from 'vitest';
import { offUnit } from '../provision/core/parts/part.ts';
import { paths } from '../provision/core/render/paths.ts';
import { bundle, render, resolve, templates, viewerAssets } from './support/fleet.ts';
import { renderHost } from '../provision/core/render/render.ts';
import { parseClipTime, planClip, segmentStart } from '../provision/core/recording/segments.ts';


const fleet = `defaults:
  recording: { enabled: true, keep: { days: 3 } }
groups:
  usb:
    recording: { path: /media/usb/camfleet, keep: { minFreePercent: 20 } }
hosts:
  pi1: { address: 10.0.0.1 }
  pi2: { address: 10.0.0.2, groups: [usb], recording: { segment: 30, keep: { days: 1.5 } } }
  pi3: { address: 10.0.0.3, recording: { enabled: false } }
  pi4: { address: 10.0.0.4, viewer: { enabled: false } }
`;

describe('recording settings', () => {
  it('layer defaults < groups < host, keep field by field, over built-in defaults (off, 60 s, a week, 10% free)', () => {
    const [pi1, pi2, pi3] = resolve(fleet);
    expect(pi1!.recording).toEqual({ enabled: true, path: '/var/lib/camfleet/recordings', segment: 60, keep: { days: 3, minFreePercent: 10 } });
    expect(pi2!.recording).toEqual({ enabled: true, path: '/media/usb/camfleet', segment: 30, keep: { days: 1.5, minFreePercent: 20 } });
    expect(pi3!.recording.enabled).toBe(false);
    expect(resolve('hosts:\n  a: { address: 10.0.0.1 }\n')[0]!.recording).toEqual({ enabled: false, path: '/var/lib/camfleet/recordings', segment: 60, keep: { days: 7, minFreePercent: 10 } });
  });

  it('are refused at the line that set them, each once', () => {
    const yaml = `defaults:
  camera: { fps: 10, gop: 50 }
  recording:
    enabled: true
    segment: 2
groups:
  sys:
    recording: { path: /etc/camfleet/rec }
hosts:
  pi1: { address: 10.0.0.1, groups: [sys] }
  pi2: { address: 10.0.0.2, recording: { path: /srv/../rec, keep: { minFreePercent: 95, days: 0 } } }
  pi3: { address: 10.0.0.3, recording: { path: "rec dir" } }
  og: { address: 10.0.0.9, role: origin }
`;
    // The schema's refusals come first, alone (the rules judge only a schema-valid file).
    expect(problems(yaml)).toEqual([
      'inventory.yaml:11:95 hosts.pi2.recording.keep.days: must be > 0',
      'inventory.yaml:11:85 hosts.pi2.recording.keep.minFreePercent: must be <= 90',
      'inventory.yaml:12:48 hosts.pi3.recording.path: must match ^/[A-Za-z0-9._/-]*$',
    ]);
    // Schema first: with those fixed, the rules speak (the origin's recording comes from defaults).
    const fixed = yaml.replace('keep: { minFreePercent: 95, days: 0 } ', '').replace('path: "rec dir"', 'path: /srv/rec');
    expect(problems(fixed)).toEqual([
      'inventory.yaml:4:14 defaults.recording.enabled: an origin has no camera to record: recording is set on the cameras',
      'inventory.yaml:5:14 defaults.recording.segment: 2 s is shorter than the keyframe interval (camera.gop / camera.fps = 5 s) segments are cut at',
      'inventory.yaml:8:24 groups.sys.recording.path: /etc/camfleet/rec is inside /etc, a folder of the system\'s own: record to /var/lib/camfleet/recordings or a disk\'s mount point',
      'inventory.yaml:11:48 hosts.pi2.recording.path: /srv/../rec: write it plainly, without empty, . or .. parts (or a trailing /)',
    ]);
  });
});

describe('the recording part', () => {
  const [pi1, pi2, pi3, pi4] = render(fleet);

  it('writes the recorder and its unit, values in the unit only, and runs it, restarted by them and the stream key', () => {
    const unit = pi2!.files.find((f) => f.path === paths.recorderUnit)!;
    expect(unit.validate).toBe('systemd');
    expect(unit.content).toContain('Environment="CAMFLEET_RECORDING_PATH=/media/usb/camfleet"');
    expect(unit.content).toContain('RequiresMountsFor=/media/usb/camfleet');
    expect(unit.content).toContain('Environment=CAMFLEET_RECORDING_SEGMENT=30');
    expect(unit.content).toContain('Environment=CAMFLEET_RECORDING_KEEP_MINUTES=2160');
    expect(unit.content).toContain('Environment=CAMFLEET_RECORDING_MIN_FREE_PERCENT=20');
    expect(unit.content).toContain('Environment="CAMFLEET_RECORDING_SOURCE=rtmp://127.0.0.1:1935/live"');
    const script = pi2!.files.find((f) => f.path === paths.recorderScript)!;
    expect(script.mode).toBe(0o755);
    expect(script.content).toBe(pi1!.files.find((f) => f.path === paths.recorderScript)!.content);
    expect(script.content).toMatch(/ffmpeg .*-c copy -f segment -segment_format mpegts/s);
    expect(pi2!.units.find((u) => u.name === 'camfleet-recorder.service')).toMatchObject({ enabled: true, active: true, restartOn: [paths.recorderUnit, paths.recorderScript, paths.streamKey] });
  });

  it('admits its loopback reader in nginx.conf even where access.play does not and WebRTC is off', () => {
    const conf = (d: typeof pi1) => d!.files.find((f) => f.path === paths.nginxConf)!.content;
    expect(conf(pi4)).toMatch(/allow play 127\.0\.0\.1;/);
    const plain = render('hosts:\n  a: { address: 10.0.0.1, viewer: { enabled: false }, access: { play: [10.1.0.0/16] } }\n')[0]!;
    expect(conf(plain)).not.toMatch(/allow play 127\.0\.0\.1;/);
  });

  it('off: its unit stopped, its script and unit removed, the recordings themselves left alone', () => {
    expect(pi3!.files.some((f) => f.path.startsWith('/opt/camfleet/recorder'))).toBe(false);
    expect(pi3!.absent).toEqual(expect.arrayContaining([{ path: paths.recorderUnit }, { path: paths.recorderScript }]));
    expect(pi3!.units).toContainEqual(offUnit('camfleet-recorder.service'));
    expect((pi3!.absentDirs ?? []).some((d) => d.path.includes('recordings'))).toBe(false);
  });

  it('off with --delete-recordings: the segments go too (their folder only if nothing else is in it); on, nothing goes', () => {
    const hosts = resolve(fleet).map((h) => ({ ...h, recording: { ...h.recording, deleteRecordings: true } }));
    const [on, , off] = hosts.map((h) => renderHost(h, { templates, streamerBundle: bundle, viewerAssets }));
    expect(off!.absentDirs).toContainEqual({ path: '/var/lib/camfleet/recordings', files: ['*.ts'] });
    expect((on!.absentDirs ?? []).some((d) => d.path.includes('recordings'))).toBe(false);
  });
});

describe('choosing segments for a clip', () => {
  const at = (hms: string) => Date.parse(`2026-12-03T${hms}Z`);
  const seg = (hms: string) => ({ name: `20261203T${hms.replace(/:/g, '')}Z.ts`, bytes: 1, start: at(hms) });
  const listed = [seg('10:00:00'), seg('10:01:00'), seg('10:02:00'), seg('10:05:00')]; // stopped 10:03-10:05

  it('reads segment names and clip times (UTC unless an offset is given; --to may be a time of day)', () => {
    expect(segmentStart('20261203T100000Z.ts')).toBe(at('10:00:00'));
    expect(segmentStart('notes.txt')).toBeUndefined();
    expect(parseClipTime('2026-12-03T10:00')).toBe(at('10:00:00'));
    expect(parseClipTime('2026-12-03T11:00:30+01:00')).toBe(at('10:00:30'));
    expect(parseClipTime('10:05', at('10:00:00'))).toBe(at('10:05:00'));
    expect(parseClipTime('10:05')).toBeUndefined();
    expect(parseClipTime('yesterday')).toBeUndefined();
  });

  it('takes the segments overlapping the range, from where in the first the range starts', () => {
    expect(planClip(listed, at('10:00:30'), at('10:01:30'), at('10:06:00'))).toEqual({ segments: [listed[0], listed[1]], fromS: 30, durationS: 60 });
    // The open (last) segment runs until now; the gap is simply not in the clip.
    expect(planClip(listed, at('10:02:30'), at('10:05:10'), at('10:05:20'))!.segments).toEqual([listed[2], listed[3]]);
    // Before the first footage: from its start.
    expect(planClip(listed, at('09:59:00'), at('10:00:10'), at('10:06:00'))).toEqual({ segments: [listed[0]], fromS: 0, durationS: 10 });
    expect(planClip(listed, at('09:00:00'), at('09:30:00'), at('10:06:00'))).toBeUndefined();
    expect(planClip(listed, at('10:07:00'), at('10:08:00'), at('10:06:00'))).toBeUndefined();
  });
});
