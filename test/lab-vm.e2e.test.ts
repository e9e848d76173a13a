// The VM lab Pi (issue 8, VM kind): qemu running Debian's own kernel gives a real V4L2 camera and
// two simulated Wi-Fi radios, reached over SSH with strict host-key checking; `down` leaves nothing.
// Its qemu killed is a power cut (a container lab Pi's would keep this machine's page cache): after
// one mid-segment, recording (issue 28) has lost at most 2 s and every segment plays.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshArgs } from '../lab/ssh-args.ts';
import { labDir, labKnownHosts, registeredHosts, type LabHost } from '../lab/state.ts';
import * as vm from '../lab/vm/index.ts';
import type * as VmApi from '../lab/vm-api.ts';
import { camfleet } from './support/cli.ts';
import { onHost, writeInventory } from './support/lab.ts';
import { asRoot, clockOffset, shq, vmUnavailable } from './support/vm.ts';

// The module keeps the contract the lab CLI relies on.
const api: Pick<typeof VmApi, 'buildVmImage' | 'vmUp' | 'vmDown' | 'vmStatus' | 'vmPowerCut' | 'vmPowerOn'> = vm;

const why = vmUnavailable();
if (why) console.warn(`skipping VM lab Pi tests: ${why}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const segment = 10; // seconds: short, so that two close quickly
const recordings = '/var/lib/camfleet/recordings';

interface Segment {
  name: string;
  /** When ffmpeg created it (the VM's clock, ms): as its first packet arrived. */
  born: number;
  bytes: number;
  duration: number;
  frames: number;
  /** What `ffmpeg -v error` said decoding it to its end: nothing when it plays whole. */
  errors: string;
  /** The same for all of it before its last packet: a power cut may tear the frame being written. */
  errorsBeforeLastPacket: string;
}

/**
 * The recorded segments on the VM, oldest first. With `decodeBornBefore` (the VM's clock, ms), each
 * segment created before then is decoded to its end there, and, where that shows an error, again up
 * to its last packet (a clean file is clean up to any packet). Under TCG each decode takes seconds:
 * the ones recorded since are left alone. ffprobe reads no stdin: it is this script's.
 */
function segments(host: LabHost, decodeBornBefore?: number): Segment[] {
  const decode =
    decodeBornBefore === undefined
      ? ''
      : `if [ "$(stat -c %W "$f")" -lt ${Math.ceil(decodeBornBefore / 1000)} ]; then ` +
        `errors=$(ffmpeg -nostdin -v error -i "$f" -f null - 2>&1 | head -c 300 | tr '\\n\\t' '  '); prefix=""; ` +
        `if [ -n "$errors" ]; then prefix=$(last=$(ffprobe -v error -show_entries packet=pos -of csv=p=0 "$f" </dev/null | sort -n | tail -n 1); head -c "\${last:-0}" "$f" | ffmpeg -nostdin -v error -f mpegts -i - -f null - 2>&1 | head -c 300 | tr '\\n\\t' '  '); fi; ` +
        `printf '\\t%s\\t%s\\t%s' "$(ffprobe -v error -count_frames -select_streams v:0 -show_entries format=duration:stream=nb_read_frames -of default=nw=1:nk=1 "$f" </dev/null | tr '\\n' ' ')" "$errors" "$prefix"; fi; `;
  // Decoding ten segments twice under emulation, on a busy machine: minutes, not seconds.
  const out = asRoot(host, `cd ${recordings} 2>/dev/null || exit 0; for f in *.ts; do [ -e "$f" ] || continue; printf '%s\\t%s\\t%s' "$f" "$(stat -c %.3W "$f")" "$(stat -c %s "$f")"; ${decode}echo; done`, 600_000);
  return out.split('\n').filter(Boolean).map((line) => {
    const [name = '', born = '', bytes = '', probed = '', errors = '', errorsBeforeLastPacket = ''] = line.split('\t');
    // ffprobe prints the stream's frame count (twice: counted and read), then the format's duration last.
    const numbers = probed.trim().split(' ');
    return { name, born: Number(born) * 1000, bytes: Number(bytes), duration: Number(numbers.at(-1) ?? 0), frames: Number(numbers[0] ?? 0), errors: errors.trim(),
      errorsBeforeLastPacket: errorsBeforeLastPacket.trim() };
  });
}

interface OpenSegment {
  name: string;
  born: number;
  duration: number;
  at: number;
}

/**
 * A reader of the open (newest) segment as the recorder has written it so far, through the VM's
 * page cache (unflushed data included): its media duration (ffprobe here), when ffmpeg created it
 * and when it was read (the VM's clock, ms): what a power cut right after may take from it. Each
 * read first writes `marker` and never flushes it. The reads go over one root shell opened first:
 * a fresh SSH connection and sudo per read took 3.5 to 9 s under TCG (CI runs saw both), most of
 * it connecting, which no schedule of reads can place inside a 10 s segment every time; over an
 * open session a read is a few small commands there and the bytes' way here.
 */
async function openSegmentReader(host: LabHost): Promise<{ read(marker: string): Promise<OpenSegment>; close(): void }> {
  // Per marker read from stdin: one header line (segment names hold no spaces), then its first
  // `size` bytes, the size it had when the header was made.
  const loop =
    `cd ${recordings} && while read -r marker; do echo written > "$marker"; f=$(ls -1t -- *.ts | head -n 1); size=$(stat -c %s -- "$f"); ` +
    `echo "$(date +%s.%N) $(stat -c %.3W -- "$f") $f $size"; head -c "$size" -- "$f"; done`;
  const ssh = spawn('ssh', sshArgs(host, ['-o', 'BatchMode=yes', 'sudo', 'bash', '-c', shq(loop)]), { stdio: ['pipe', 'pipe', 'inherit'] });
  let buffered = Buffer.alloc(0);
  let wake = () => {};
  ssh.stdout.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    wake();
  });
  const ended = new Promise<never>((_, reject) => ssh.once('close', () => reject(new Error(`${host.name}: the shell reading the open segment ended`))));
  ended.catch(() => {});
  ssh.stdin.on('error', () => {}); // a write after it ended: the read fails through `ended`
  /** The output's first bytes, as many as `until` says (-1: not there yet), once they have arrived. */
  const take = async (until: (b: Buffer) => number): Promise<Buffer> => {
    for (let n = until(buffered); n < 0; n = until(buffered)) await Promise.race([new Promise<void>((r) => (wake = r)), ended]);
    const n = until(buffered);
    const out = buffered.subarray(0, n);
    buffered = buffered.subarray(n);
    return out;
  };
  // The first read also waits for the connection and sudo: one made before the test's reads.
  const read = async (marker: string): Promise<OpenSegment> => {
    ssh.stdin.write(`${marker}\n`);
    const header = (await take((b) => { const nl = b.indexOf(0x0a); return nl < 0 ? -1 : nl + 1; })).toString().trim();
    const [at = '', born = '', name = '', size = ''] = header.split(' ');
    if (!/^\d+$/.test(size)) throw new Error(`${host.name}: no open segment to read (it said ${JSON.stringify(header)})`);
    const bytes = await take((b) => (b.length >= Number(size) ? Number(size) : -1));
    const dir = mkdtempSync(join(tmpdir(), 'camfleet-open-segment-'));
    try {
      writeFileSync(join(dir, name), bytes);
      const duration = Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'default=nw=1:nk=1', join(dir, name)], { encoding: 'utf8' }).trim());
      return { name, born: Number(born) * 1000, duration, at: Number(at) * 1000 };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  await read('/home/pi/unflushed-0');
  return { read, close: () => ssh.kill() };
}

async function until(what: string, timeoutMs: number, done: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(1000);
  }
}

const qemuProcesses = (): string[] =>
  execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes('qemu-system') && l.includes('camfleet-vm1'));

describe.skipIf(!!why)('the VM lab Pi', () => {
  let host: LabHost;

  beforeAll(async () => {
    const image = await api.buildVmImage({ log: (l) => console.log(l) });
    console.log(`vm image: ${image.cached ? 'cached' : 'built'}, build took ${(image.ms / 1000).toFixed(0)} s`);
    host = await api.vmUp({ log: (l) => console.log(l) });
  });
  afterAll(async () => {
    if (!why) await api.vmDown();
  });

  it('boots and answers SSH with strict host-key checking; systemd is up', async () => {
    expect(host).toMatchObject({ name: 'vm1', kind: 'vm', address: '127.0.0.1' });
    expect(execFileSync('cat', [labKnownHosts], { encoding: 'utf8' })).toContain(`[127.0.0.1]:${host.sshPort} ${host.hostKey}`);
    expect((await registeredHosts('vm')).map((h) => h.name)).toEqual(['vm1']);
    const state = onHost(host, 'systemctl is-system-running --wait || systemctl --failed --no-legend').trim();
    expect(state).toBe('running');
    const status = await api.vmStatus();
    expect(status).toMatchObject({ running: true, sshPort: host.sshPort });
    console.log(`vm1: boot-to-SSH ${((status.bootToSshMs ?? 0) / 1000).toFixed(1)} s, qemu RSS ${status.memMiB} MiB`);
  });

  it('has a V4L2 camera at /dev/video0 that ffmpeg reads frames from', () => {
    const out = onHost(host, 'ffmpeg -hide_banner -nostats -f v4l2 -i /dev/video0 -frames:v 5 -f null - 2>&1');
    expect(out).toMatch(/Input #0, video4linux2/);
    expect(out).toMatch(/frame=\s*5\b/);
  });

  it('has two simulated Wi-Fi radios', () => {
    const out = onHost(host, '/usr/sbin/iw dev');
    expect(out.match(/^phy#\d+/gm)).toHaveLength(2);
    expect(out).toMatch(/Interface wlan0/);
    expect(out).toMatch(/Interface wlan1/);
  });

  it('a second up finds it running instead of booting another', async () => {
    const before = await api.vmStatus();
    const again = await api.vmUp();
    expect(again.sshPort).toBe(host.sshPort);
    expect((await api.vmStatus()).pid).toBe(before.pid);
  });

  it('a power cut mid-segment loses at most 2 s of what the recorder wrote: every segment plays to its end, and recording resumes after boot', { timeout: 600_000 }, async () => {
    const started = Date.now();
    const inventory = writeInventory([host], (doc) => {
      // The viewer page is other tests' business: fewer services under emulation.
      doc.hosts.vm1 = { ...doc.hosts.vm1, viewer: { enabled: false }, recording: { enabled: true, segment } };
    });
    const r = await camfleet(['provision', '--inventory', inventory, '--host', 'vm1']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // Two closed segments and the open one.
    await until('three segments', 120_000, () => segments(host).length >= 3);

    // Segments start at the first keyframe (1 s GOP) after a multiple of `segment` s on the VM's
    // clock, and end at the first one after the next. The open one is read (over a root shell
    // opened before: openSegmentReader) and the power cut as the read returns, at least 3.5 s into
    // the segment and before its end: the read starts as late as the last one's length allows, and
    // when it still returned too near the end, the next segment is tried. Its marker file is never
    // flushed, so a real power cut loses it (written in the same call: a few seconds more and
    // ext4's own commits may flush it); a new file each try.
    const segmentMs = segment * 1000;
    const offset = await clockOffset(host);
    const reader = await openSegmentReader(host);
    let written: OpenSegment | undefined;
    let marker = '';
    let readMs = 3000;
    try {
      for (let attempt = 1; !written; attempt++) {
        const vmNow = Date.now() + offset.ms;
        let readOnVm = Math.ceil(vmNow / segmentMs) * segmentMs + Math.max(2000, segmentMs - 1500 - readMs * 1.2);
        if (readOnVm - 1000 < vmNow) readOnVm += segmentMs;
        await sleep(readOnVm - offset.ms - Date.now());
        marker = `/home/pi/unflushed-${attempt}`;
        const startedAt = Date.now();
        const read = await reader.read(marker);
        readMs = Date.now() - startedAt;
        const returnedOnVm = Date.now() + offset.ms;
        const end = (Math.floor(read.born / segmentMs) + 1) * segmentMs; // its end: the next boundary, or a keyframe after it
        if (returnedOnVm - read.born > 3500 && returnedOnVm < end - 500) written = read;
        else if (attempt === 4) throw new Error(`four reads of the open segment missed its middle (the last: ${read.name}, ${readMs} ms, returned ${returnedOnVm - read.born} ms into it)`);
        else console.log(`the read of ${read.name} took ${readMs} ms, from ${read.at - read.born} to ${returnedOnVm - read.born} ms into it: again at the next segment`);
      }
    } finally {
      reader.close();
    }
    const cut = (await api.vmPowerCut()) + offset.ms; // on the VM's clock
    host = await api.vmPowerOn({ log: (l) => console.log(l) });

    expect(asRoot(host, `cat ${marker} 2>/dev/null || true`).trim(), 'the cut lost what was never flushed').not.toBe('written');
    const before = segments(host, cut).filter((s) => s.born < cut);
    const open = before.at(-1)!;
    // Footage behind the cut: what the cut destroyed of what the recorder had written (`lost`),
    // and before that what had not reached the recorder's file yet (`lag`: capture, encoder,
    // nginx-rtmp and the recorder's own buffer; a starved TCG VM falls seconds behind there).
    const loss = cut - (open.born + open.duration * 1000);
    const lost = (written.duration - open.duration) * 1000;
    const lag = written.at - (open.born + written.duration * 1000);
    console.log(
      `power cut ${((cut - open.born) / 1000).toFixed(1)} s into ${open.name}: it plays ${open.duration.toFixed(2)} s (${open.frames} frames), ` +
        `${(loss / 1000).toFixed(2)} s behind the cut: ${(lost / 1000).toFixed(2)} s written and lost, the recording ${(lag / 1000).toFixed(2)} s behind the camera ` +
        `${((cut - written.at) / 1000).toFixed(2)} s before the cut (the VM's clock ${offset.ms.toFixed(0)} ms off this machine's, read ±${offset.within.toFixed(0)} ms)`,
    );
    expect(written.name, 'the segment open at the cut is the one read just before it').toBe(open.name);
    // Mid-segment: the open one had begun a few seconds before the cut, and none after it.
    expect(cut - open.born).toBeGreaterThan(3000);
    // A segment is cut at the first keyframe after its boundary, which a starved VM's encoder
    // delivers late (seen: 11.9 s into a 10 s segment while this machine ran other tests too).
    expect(cut - open.born).toBeLessThan((segment + 3) * 1000);
    expect(before.length).toBeGreaterThanOrEqual(3);
    for (const s of before) {
      // The open segment may end in a torn frame: ffmpeg writes a large one in several write()s, and
      // the cut (or the last flush) can land between two (CI's run on 6ace114 saw one). A player shows
      // all before it; every frame before the last must decode.
      if (s === open && s.errors && !s.errorsBeforeLastPacket) console.log(`${s.name} ends in a torn frame: ${s.errors.slice(0, 120)}`);
      else expect(s.errors, `${s.name} decodes to its end`).toBe('');
      expect(s.errorsBeforeLastPacket, `${s.name} decodes up to its last packet`).toBe('');
      // The camera's rate, all of it but for the capture's own drops: under TCG on a busy machine vivid's
      // capture misses a frame now and then (CI saw 150 frames over 10.1 s), which the recording
      // keeps as a gap in the timestamps. What a power cut could do, a segment that stops
      // decoding or ends early, the errors above and the loss below catch.
      expect(s.frames, s.name).toBeGreaterThanOrEqual(Math.floor(s.duration * vm.vmInventory.camera.fps * 0.97) - 1);
    }
    // Closed whole: no shorter than its boundaries allow. Each is cut at the first keyframe after its
    // boundary, which a starved VM's encoder delivers up to 3 s late (as above): CI saw one of 8 s
    // after a late start.
    for (const s of before.slice(1, -1)) expect(s.duration, `${s.name} closed whole`).toBeGreaterThan(segment - 3);
    // The promise: at most 2 s of what the recorder had written is lost (it flushes every second),
    // and never footage after the cut (which would mean a wrong clock). The recording's lag behind
    // the camera is the machine's speed, not durability: bounded loosely, so a stalled recorder
    // still shows.
    expect(lost).toBeLessThanOrEqual(2000);
    expect(loss).toBeGreaterThan(-offset.within - 200);
    expect(lag).toBeLessThan(5000);

    // Recording resumes by itself once the boot settles (under emulation the streamer may be
    // restarted on the way): a segment recorded after the boot closes at a boundary, the next one open.
    const after = () => segments(host).filter((s) => s.born > cut);
    await until('a segment recorded after the boot, closed', 240_000, () => after().length >= 2);
    console.log(`power-cut test: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });

  it('after a crash (qemu killed), the next up cleans up and boots a fresh, clean VM', { timeout: 300_000 }, async () => {
    onHost(host, 'touch /home/pi/left-by-the-crashed-run');
    const crashed = (await api.vmStatus()).pid;
    process.kill(crashed ?? 0, 'SIGKILL');
    host = await api.vmUp();
    const status = await api.vmStatus();
    expect(status.running).toBe(true);
    expect(status.pid).not.toBe(crashed);
    expect(onHost(host, 'ls /home/pi')).not.toContain('left-by-the-crashed-run');
    expect(qemuProcesses()).toHaveLength(1);
  });

  it('down leaves no qemu process, overlay or registration behind', async () => {
    await api.vmDown();
    expect(qemuProcesses()).toEqual([]);
    expect(existsSync(join(labDir, 'vm'))).toBe(false);
    expect(await registeredHosts('vm')).toEqual([]);
    expect(await api.vmStatus()).toEqual({ running: false });
  });
});
