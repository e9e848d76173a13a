// The streamer's one encode feeding nginx-rtmp and camfleet-webrtc at once (the tee muxer), with
// the real parts on loopback: nginx-rtmp, the streamer's own ffmpeg command (libx264), and the
// service's RTP source. A restarted streamer (a new size) is a new RTP stream under a new SSRC:
// the source must take its SPS and go on as one stream for the browsers; a late packet of the
// old run must not bring the old stream back.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { probeStream } from '../client/probe.ts';
import { defaultConfig, type StreamerSettings } from '../streamer/config.ts';
import { ffmpegArgs } from '../streamer/ffmpeg-args.ts';
import { startRtpSource, type RtpSource } from '../webrtc/rtp-source.ts';
import { startNginxRtmp, type NginxRtmp } from './support/nginx-rtmp.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The SPS in a packet, alone (type 7) or first in an aggregate (STAP-A: type 24, a 2-byte size before each NAL unit). */
function sps(p: Buffer): string | undefined {
  const type = p[12]! & 0x1f;
  if (type === 7) return p.subarray(12).toString('hex');
  if (type === 24 && (p[15]! & 0x1f) === 7) return p.subarray(15, 15 + p.readUInt16BE(13)).toString('hex');
  return undefined;
}

const rtpPort = 18891;
let nginx: NginxRtmp;
const streamers: ChildProcess[] = [];
/** The streamer's ffmpeg as camfleet runs it, at `width`x`height`, publishing under "cam" and sending RTP. */
const stream = (width: number, height: number) => {
  const config: StreamerSettings = { ...defaultConfig, device: 'lavfi:testsrc2', width, height, fps: 15, gop: 15, bitrate: 400_000, encoder: 'libx264', server: nginx.server, streamKey: 'cam', rtpPort };
  const p = spawn('ffmpeg', ffmpegArgs(config, 'libx264'), { stdio: 'ignore' });
  streamers.push(p);
  return p;
};
/** What nginx-rtmp serves under "cam", width x height, read by the client's probe (async: the RTP source reads meanwhile). */
const rtmpSize = async () => {
  const r = await probeStream(nginx.url('cam'), { seconds: 0.5, timeoutMs: 10_000 });
  return `${r.width}x${r.height}`;
};
beforeAll(async () => {
  nginx = await startNginxRtmp();
});
const stopStreamers = () =>
  Promise.all(streamers.splice(0).map((p) => (p.exitCode ?? p.signalCode) !== null || new Promise((r) => p.once('exit', r).kill('SIGKILL'))));
afterAll(async () => {
  await stopStreamers();
  await nginx?.stop();
});

it('one encode: nginx-rtmp plays it and the RTP source gets it; a restart at another size is a new stream, its SPS taken, one continuous RTP stream out, the old run never back', async () => {
  const lines: string[] = [];
  const source: RtpSource = await startRtpSource(rtpPort, (l) => lines.push(l));
  const packets: { sps?: string; seq: number; ssrc: number }[] = [];
  let newRuns = 0;
  source.onNewRun(() => newRuns++);
  // The source rewrites the header in place (the rebase): the SSRC is read before it does.
  source.onPacket((p) => packets.push({ sps: sps(p), seq: p.readUInt16BE(2), ssrc: p.readUInt32BE(8) }));
  try {
    const first = stream(320, 240);
    await sleep(3000);
    expect(await rtmpSize()).toBe('320x240');
    const before = new Set(packets.map((p) => p.sps).filter(Boolean));
    expect(before.size).toBe(1);
    expect(newRuns).toBe(1);
    expect(source.idleMs()).toBeLessThan(1000);
    const oldSsrc = packets.at(-1)!.ssrc;

    // The streamer restarts with another size, the way systemd restarts it: the old one gone, a new one sending.
    first.kill('SIGTERM');
    await new Promise((r) => first.once('exit', r));
    const switchedAt = packets.length;
    stream(480, 270);
    await sleep(4000);
    // A packet of the old run, late: dropped.
    const late = Buffer.alloc(20);
    late[0] = 0x80;
    late.writeUInt32BE(oldSsrc, 8);
    const sender = createSocket('udp4');
    await new Promise<void>((r) => sender.send(late, rtpPort, '127.0.0.1', () => r()));
    sender.close();
    await sleep(1000);

    const after = packets.slice(switchedAt);
    const newSps = [...new Set(after.map((p) => p.sps).filter(Boolean))];
    expect(newSps.length).toBe(1);
    expect(newSps).not.toContain([...before][0]);
    expect(newRuns).toBe(2);
    expect(lines.join('\n')).toMatch(/a new stream from the streamer's ffmpeg \(SSRC [0-9a-f]+\)/);
    const newRunAt = after.findIndex((p) => p.ssrc !== oldSsrc);
    expect(newRunAt).toBeGreaterThanOrEqual(0);
    expect(after.slice(newRunAt).filter((p) => p.ssrc === oldSsrc)).toEqual([]);
    // One stream for werift and the browsers: sequence numbers go on by one across the restart (loopback loses nothing).
    const gaps = packets.slice(1).filter((p, i) => p.seq !== ((packets[i]!.seq + 1) & 0xffff));
    expect(gaps).toEqual([]);
    expect(await rtmpSize()).toBe('480x270');
  } finally {
    source.stop();
    await stopStreamers();
  }
}, 40_000);

it('with nothing listening for its RTP (camfleet-webrtc down), the encode goes on publishing to nginx-rtmp', async () => {
  const streamer = stream(320, 240);
  await sleep(3000);
  expect(streamer.exitCode).toBeNull();
  expect(await rtmpSize()).toBe('320x240');
}, 30_000);

it('nginx-rtmp gone: the encode ends, RTP output or not, so that the streamer starts it again', async () => {
  await stopStreamers();
  const source = await startRtpSource(rtpPort, () => {});
  try {
    const streamer = stream(320, 240);
    await sleep(2000);
    expect(source.idleMs()).toBeLessThan(1000);
    const exited = new Promise<number | null>((r) => streamer.once('exit', (code) => r(code)));
    await nginx.kill();
    // ffmpeg's tee would go on with the RTP output alone unless its RTMP output aborts it.
    const code = await Promise.race([exited, sleep(10_000).then(() => 'still running')]);
    expect(code).toBe(1);
  } finally {
    source.stop();
    await nginx.restart();
  }
}, 30_000);
