// Recording on real lab Pis (provision/core/parts/recording.ts): the stream copied (no second
// encode) into keyframe-aligned MPEG-TS segments that each play; more than two minutes of footage;
// a small filesystem that fills loses its oldest segments while live streaming goes on; and
// `enabled: false` removes the recorder but keeps the recordings.
//
// Two Pis, booted together: lab1 takes every change, lab2 records untouched from the first case to
// the last, so its two minutes of footage build up while lab1's cases run instead of in a wait.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerDown, containerUp } from '../lab/container.ts';
import type { LabHost } from '../lab/state.ts';
import { camfleet } from './support/cli.ts';
import { browserUnavailable, countFrames, launchBrowser, openPhonePage } from '../lab/browser.ts';
import { ffprobe, labUnavailable, mainPid, onHost, provisionFresh, waitForStream, writeInventory } from './support/lab.ts';

const why = labUnavailable();
if (why) console.warn(`skipping recording end-to-end tests: ${why}`);

const segment = 4; // seconds: short, so the test sees many segments close
const defaultPath = '/var/lib/camfleet/recordings';
const mount = '/mnt/small'; // a 4 MB tmpfs mounted inside the lab Pi
const small = `${mount}/camfleet`; // recording.path: a folder on it, as on a USB disk

interface Segment {
  name: string;
  bytes: number;
  duration: number;
  frames: number;
  firstIsKey: boolean;
  codec: string;
}

/** The segments in a folder on the Pi, oldest first, each probed there (ffprobe decodes every frame). */
function segments(pi: LabHost, dir: string, probe = true): Segment[] {
  const script = `cd ${dir} && for f in *.ts; do [ -e "$f" ] || continue; printf '%s %s' "$f" "$(stat -c %s "$f")"; ${
    probe
      ? `printf ' %s' "$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=codec_name,nb_read_frames:format=duration -of csv=p=0 "$f" | tr '\\n' ,)" "$(ffprobe -v error -select_streams v:0 -read_intervals %+#1 -show_entries frame=key_frame -of csv=p=0 "$f")";`
      : ''
  } echo; done`;
  return onHost(pi, `sudo sh -c '${script.replace(/'/g, `'\\''`)}'`)
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name, bytes, probed = '', key = ''] = line.split(' ');
      // ffprobe's csv: the stream's "h264,120," (and again with the format's duration last), the first frame's "1,".
      const fields = probed.split(',').filter(Boolean);
      const [codec = '', frames = '0'] = fields;
      return { name: name!, bytes: Number(bytes), duration: Number(fields.at(-1) ?? 0), frames: Number(frames), firstIsKey: /^1\b/.test(key.trim()), codec };
    });
}

/** A segment's start from its name (20261203T100004Z.ts), in ms. */
const startOf = (name: string): number => {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z\.ts$/.exec(name);
  if (!m) throw new Error(`not a segment name: ${name}`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(1000);
  }
}

const freePercent = (pi: LabHost, dir: string) => Number(onHost(pi, `df -P ${dir} | awk 'NR == 2 { printf "%d", $4 * 100 / $2 }'`));

describe.skipIf(!!why)('recording on lab Pis', () => {
  let pi: LabHost; // lab1: every change
  let long: LabHost; // lab2: recording on the defaults, untouched after the first run
  let inventory: string;
  const url = () => `rtmp://${pi.address}:1935/live/cam`;
  const withRecording = (recording: Record<string, unknown>) =>
    writeInventory([pi, long], (doc) => {
      doc.hosts.lab1 = { ...doc.hosts.lab1, recording };
      doc.hosts.lab2 = { ...doc.hosts.lab2, recording: { enabled: true, segment } };
    });
  const provision = (...args: string[]) => camfleet(['provision', '--inventory', inventory, '--host', pi.name, ...args]);
  let started = 0;

  beforeAll(async () => {
    [pi, long] = (await containerUp({ hosts: 2, layer: 'base' })) as [LabHost, LabHost];
  });
  afterAll(async () => {
    if (!why) await containerDown();
  });

  it('records the stream to keyframe-aligned segments of `segment` seconds, one after another, each playing whole', async () => {
    inventory = withRecording({ enabled: true, segment });
    await provisionFresh(pi, (...args) => camfleet(['provision', '--inventory', inventory, '--all', ...args]));
    started = Date.now();
    expect(onHost(pi, 'systemctl is-active camfleet-recorder').trim()).toBe('active');
    expect(onHost(long, 'systemctl is-active camfleet-recorder').trim()).toBe('active');
    // One ffmpeg copying, none encoding a second time: the recorder's cgroup runs ffmpeg -c copy only.
    expect(onHost(pi, 'pgrep -a --cgroup /system.slice/camfleet-recorder.service ffmpeg')).toMatch(/-c copy -f segment/);
    // Five closed segments (the first may be short: it ends at the next multiple of `segment` on the clock).
    await until('6 segments', 60_000, () => (segments(pi, defaultPath, false).length >= 7 ? true : undefined));
    const all = segments(pi, defaultPath);
    const closed = all.slice(1, -1); // not the first (short) nor the open one
    // Each is cut at the first keyframe (1 s GOP, 15 fps) to reach ffmpeg after a boundary of the
    // clock. Where keyframes reach it just before the boundaries, one that comes a moment late (a
    // busy machine) moves that cut a GOP earlier: one segment a GOP shorter, the next a GOP longer
    // (CI run h17: 3.0 s). So each is whole GOPs within one of `segment`, and together they span
    // their boundaries, give or take one GOP.
    for (const s of closed) {
      expect(s, s.name).toMatchObject({ codec: 'h264', firstIsKey: true });
      expect(s.duration, s.name).toBeGreaterThan(segment - 1.1);
      expect(s.duration, s.name).toBeLessThan(segment + 1.1);
      expect(s.frames, s.name).toBeGreaterThanOrEqual(Math.floor((s.duration - 0.5) * 15));
    }
    const spanned = closed.reduce((sum, s) => sum + s.duration, 0);
    expect(Math.abs(spanned - closed.length * segment), closed.map((s) => `${s.name} ${s.duration}`).join(', ')).toBeLessThanOrEqual(1.1);
    // Named by their UTC start (to the second, at the keyframe that opened them), each `segment`
    // seconds after the one before give or take that second: no gap.
    for (let i = 1; i < closed.length; i++) {
      const step = startOf(closed[i]!.name) - startOf(closed[i - 1]!.name);
      expect(Math.abs(step - segment * 1000), closed[i]!.name).toBeLessThanOrEqual(1000);
    }
    // The live stream is as it was.
    expect(ffprobe(url()).codec).toBe('h264');
  });

  it('a second run changes nothing and restarts nothing, the recorder included', async () => {
    const before = mainPid(pi, 'camfleet-recorder');
    const r = await provision('--json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { hosts: { plan: { changes: number } }[] }).hosts[0]?.plan.changes).toBe(0);
    expect(mainPid(pi, 'camfleet-recorder')).toBe(before);
  });

  it('clip: a range fetched over SSH and joined without re-encoding, its duration within one GOP (1 s) of the range', async () => {
    const closed = segments(pi, defaultPath, false).slice(0, -1);
    // From 1.5 s into the third segment, across two boundaries: 10 s.
    const from = startOf(closed[2]!.name) + 1500;
    const to = from + 10_000;
    const out = join(mkdtempSync(join(tmpdir(), 'camfleet-clip-')), 'clip.mp4');
    const r = await camfleet(['clip', '--inventory', inventory, '--host', pi.name, '--from', new Date(from).toISOString(), '--to', new Date(to).toISOString().slice(11, 19), '--out', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const probed = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'format=duration,format_name:stream=codec_name,nb_read_frames', '-of', 'json', out], { encoding: 'utf8' }),
    ) as { format: { duration: string; format_name: string }; streams: { codec_name: string; nb_read_frames: string }[] };
    const duration = Number(probed.format.duration);
    console.log(`clip of 10 s: ${duration} s, ${probed.streams[0]?.nb_read_frames} frames`);
    expect(probed.format.format_name).toContain('mp4');
    expect(probed.streams.map((s) => s.codec_name)).toEqual(['h264']); // copied, as recorded
    expect(duration).toBeGreaterThanOrEqual(10 - 0.1);
    expect(duration).toBeLessThanOrEqual(10 + 1 + 0.1);
    expect(Number(probed.streams[0]?.nb_read_frames)).toBeGreaterThanOrEqual(150 - 2);
    // A range with nothing recorded: said, exit 1, nothing written.
    const none = await camfleet(['clip', '--inventory', inventory, '--host', pi.name, '--from', '2020-01-01T10:00', '--to', '10:05', '--out', `${out}.none`]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/nothing recorded between 2020-01-01T10:00:00.000Z and 2020-01-01T10:05:00.000Z/);
  });

  it('status shows recording on, the oldest and newest footage and the disk', async () => {
    const r = await camfleet(['status', '--inventory', inventory, '--host', pi.name, '--json']);
    const [row] = JSON.parse(r.stdout) as { recording?: { recorder: string; segments: number; oldest: string; newest: string; bytes: number; diskFreePercent: number } }[];
    const names = segments(pi, defaultPath, false);
    expect(row?.recording).toMatchObject({ recorder: 'active', oldest: new Date(startOf(names[0]!.name)).toISOString().replace('.000Z', 'Z') });
    expect(row!.recording!.segments).toBeGreaterThanOrEqual(names.length - 1);
    expect(row!.recording!.diskFreePercent).toBeGreaterThan(0);
    const table = await camfleet(['status', '--inventory', inventory, '--host', pi.name]);
    expect(table.stdout).toMatch(/RECORDING/);
    expect(table.stdout).toMatch(/ on \d{4}-\d\d-\d\dT\d\d:\d\d\.\.\d\d:\d\dZ, [\d.]+ MB, \d+% free/);
  });

  it('survives a streamer restart: a gap, then new segments; every segment around it plays from a keyframe', async () => {
    const before = segments(pi, defaultPath, false).map((s) => s.name);
    const restarted = Date.now();
    onHost(pi, 'sudo systemctl restart camfleet-streamer');
    await until('two segments after the restart', 60_000, () => (segments(pi, defaultPath, false).filter((s) => startOf(s.name) > restarted).length >= 2 ? true : undefined));
    const around = segments(pi, defaultPath).filter((s) => !before.slice(0, -2).includes(s.name)).slice(0, -1);
    for (const s of around) {
      expect(s, s.name).toMatchObject({ codec: 'h264', firstIsKey: true });
      expect(s.frames, s.name).toBeGreaterThan(0);
      expect(s.duration, s.name).toBeLessThan(segment + 1.1); // no jump back in time inside one
    }
    expect(onHost(pi, 'systemctl is-active camfleet-recorder').trim()).toBe('active');
  }, 90_000);

  it('on a small filesystem the oldest segments go: it never fills, and live streaming goes on when something else fills it', async () => {
    onHost(pi, `sudo mkdir -p ${mount} && sudo mount -t tmpfs -o size=4m tmpfs ${mount}`);
    inventory = withRecording({ enabled: true, segment, path: small, keep: { minFreePercent: 25 } });
    const r = await provision();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // 800 kbit/s is ~400 kB a segment: 4 MB with 25% kept free holds about seven.
    const first = await until('the first segment on the small disk', 30_000, () => segments(pi, small, false)[0]?.name);
    await until('the first segment deleted for space', 90_000, () => (segments(pi, small, false)[0]!.name !== first ? true : undefined));
    const lowest: number[] = [];
    for (let i = 0; i < 10; i++) {
      lowest.push(freePercent(pi, small));
      await sleep(1000);
    }
    // Checked every second: at most about a second of video (~100 kB, 2.5%) below the floor.
    expect(Math.min(...lowest)).toBeGreaterThanOrEqual(22);
    expect(onHost(pi, 'sudo journalctl -u camfleet-recorder --no-pager -o cat')).toMatch(/under 25%: deleting the oldest segment/);

    // Something else fills the disk, taking each bit of room the recorder frees, for 15 s: its
    // segments go (all but the open one), recording stops, live streams on.
    onHost(pi, `sudo sh -c 'for i in $(seq 15); do dd if=/dev/zero of=${mount}/filler bs=64k oflag=append conv=notrunc 2>/dev/null; sleep 1; done'`);
    expect(freePercent(pi, small)).toBeLessThan(25);
    expect(segments(pi, small, false).length).toBeLessThanOrEqual(1);
    await sleep(5000);
    expect(onHost(pi, 'systemctl is-active nginx camfleet-streamer').trim().split('\n')).toEqual(['active', 'active']);
    expect((await waitForStream(url())).codec).toBe('h264');

    // Space again: recording resumes by itself (systemd restarts it, it never gives up). Resumed
    // means a new segment holding a second of video: a run started while the disk was still full
    // may have opened a segment it never writes to, and that empty one goes when its run fails.
    onHost(pi, `sudo rm ${mount}/filler`);
    const resumed = Date.now();
    await until('a new segment with a second of video after the disk had room again', 40_000, () =>
      segments(pi, small, false).some((s) => startOf(s.name) >= resumed - 2000 && s.bytes >= 100_000) ? true : undefined,
    );
  }, 240_000);

  it('enabled: false stops the recorder and removes its unit and script; the recordings stay', async () => {
    const kept = segments(pi, defaultPath, false).length; // no recorder writes there any more
    inventory = withRecording({ enabled: false, path: small });
    const r = await provision();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(onHost(pi, 'systemctl is-active camfleet-recorder || true').trim()).toBe('inactive');
    expect(onHost(pi, 'ls /etc/systemd/system/camfleet-recorder.service /opt/camfleet/recorder.sh 2>&1 || true')).toMatch(/No such file.*\n.*No such file/);
    expect(segments(pi, defaultPath, false).length).toBe(kept);
    expect(segments(pi, small, false).length).toBeGreaterThan(0);
    expect(ffprobe(url()).codec).toBe('h264');
    // Only when asked: --delete-recordings takes the segments (and the folder, nothing else being in it).
    const del = await provision('--delete-recordings');
    expect(del.code, del.stdout + del.stderr).toBe(0);
    expect(onHost(pi, `ls -A ${mount}`).trim()).toBe('');
    expect(segments(pi, defaultPath, false).length).toBeGreaterThan(0); // another path's footage: not this host's recording.path
  });

  it('refuses a path it cannot write: the run fails at its check, naming the host, the unit and why; live streaming goes on', async () => {
    inventory = withRecording({ enabled: true, segment, path: '/media/usb-not-mounted/camfleet' });
    const r = await provision();
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/lab1: .*camfleet-recorder\.service (is activating|is failed|is active only for moments: it keeps restarting|keeps restarting: started \d+ times)/s);
    expect(r.stdout + r.stderr).toContain('recording.path /media/usb-not-mounted/camfleet: its folder /media/usb-not-mounted does not exist');
    expect(onHost(pi, 'ls /media 2>&1 || true')).not.toContain('usb-not-mounted'); // nothing made in its place
    expect(ffprobe(url()).codec).toBe('h264');
  });

  it('lab2, untouched since: more than two minutes of footage, every segment of it playable', async () => {
    await sleep(Math.max(0, 125_000 - (Date.now() - started)));
    const all = segments(long, defaultPath).slice(0, -1); // closed ones
    const total = all.reduce((sum, s) => sum + s.duration, 0);
    console.log(`recorded ${all.length} closed segments, ${total.toFixed(1)} s, ${all.reduce((n, s) => n + s.bytes, 0)} bytes`);
    expect(total).toBeGreaterThanOrEqual(120);
    for (const s of all) expect(s.frames, s.name).toBeGreaterThan(0);
  }, 180_000);

  it.skipIf(!!browserUnavailable())('lab2 serves its recordings page: chromium lists the footage and plays the newest hour (frames counted)', async () => {
    const listed = (await (await fetch(`http://${long.address}/recordings/`)).json()) as { name: string }[];
    expect(listed.length).toBeGreaterThanOrEqual(25); // two minutes of 4 s segments
    const browser = await launchBrowser();
    try {
      const page = await openPhonePage(browser, `http://${long.address}/recordings.html#latest`);
      const played = await countFrames(page, 3000, 20_000);
      expect(played.frames).toBeGreaterThanOrEqual(30); // 15 fps
      expect({ width: played.width, height: played.height }).toEqual({ width: 640, height: 360 });
      const state = (await page.evaluate('window.camfleetRecordings')) as { segments: number };
      expect(state.segments).toBeGreaterThanOrEqual(listed.length - 1);
      // The live page links to it.
      const live = await openPhonePage(browser, `http://${long.address}/`);
      await live.waitForSelector('#recordings:not([hidden])', { timeout: 10_000 });
    } finally {
      await browser.close();
    }
  });
});
