// camfleet-webrtc's reader across a publisher's restart, with the real parts on loopback: nginx-rtmp,
// libx264 publishing, and the reader's own ffmpeg copying the stream into RTP. nginx-rtmp keeps the
// reader joined when the publisher goes and another comes at a new size; the reader must notice
// (nginx-rtmp's statistics page) and read the new stream header, not go on with the old SPS.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { publisherAgeMs, watchPublisher } from '../webrtc/publisher.ts';
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

let nginx: NginxRtmp;
const publishers: ChildProcess[] = [];
const publish = (size: string) => {
  const p = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=15`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-g', '15', '-pix_fmt', 'yuv420p', '-f', 'flv', nginx.url('cam')], { stdio: 'ignore' });
  publishers.push(p);
  return p;
};
beforeAll(async () => {
  nginx = await startNginxRtmp();
});
afterAll(async () => {
  for (const p of publishers) p.kill('SIGKILL');
  await nginx?.stop();
});

it('a new publisher at another size: the reader starts over and sends its SPS, its packets one continuous RTP stream; the first publisher’s SPS never comes back', async () => {
  const first = publish('320x240');
  await sleep(1500);
  const lines: string[] = [];
  const source: RtpSource = await startRtpSource(nginx.url('cam'), (l) => lines.push(l));
  const stopWatching = watchPublisher(`http://127.0.0.1:${nginx.statPort}/stat`, 'live', 'cam', (age) => source.publisherAge(age), (l) => lines.push(l));
  const packets: { sps?: string; seq: number }[] = [];
  let newRuns = 0;
  source.onNewRun(() => newRuns++);
  source.onPacket((p) => packets.push({ sps: sps(p), seq: p.readUInt16BE(2) }));
  try {
    await sleep(3000);
    const before = new Set(packets.map((p) => p.sps).filter(Boolean));
    expect(before.size).toBe(1);
    expect(newRuns).toBe(0); // it joined after this publisher: nothing to start over for

    // The streamer restarts with another size, the way systemd restarts it: the old one gone, a new one publishing.
    first.kill('SIGTERM');
    await new Promise((r) => first.once('exit', r));
    const switchedAt = packets.length;
    publish('480x270');
    await sleep(5000);

    const after = packets.slice(switchedAt);
    const newSps = [...new Set(after.map((p) => p.sps).filter(Boolean))];
    // Without the restart the old SPS goes on being inserted before the new stream's keyframes.
    expect(newSps.length).toBeGreaterThanOrEqual(1);
    expect(newSps).not.toContain([...before][0]);
    expect(newRuns).toBe(1);
    expect(lines.join('\n')).toMatch(/new publisher: ffmpeg \(RTMP to RTP\) starts over/);
    // One stream for werift and the browsers: sequence numbers go on by one across the restart (loopback loses nothing).
    const gaps = packets.slice(1).filter((p, i) => p.seq !== ((packets[i]!.seq + 1) & 0xffff));
    expect(gaps).toEqual([]);

    // The statistics page as the reader reads it: the publisher is the new one, younger than the reader's new run began.
    const xml = await (await fetch(`http://127.0.0.1:${nginx.statPort}/stat`)).text();
    expect(publisherAgeMs(xml, 'live', 'cam')).toBeLessThan(6000);
    expect(publisherAgeMs(xml, 'live', 'other')).toBeUndefined();
    expect(publisherAgeMs(xml, 'other', 'cam')).toBeUndefined();
  } finally {
    stopWatching();
    source.stop();
  }
}, 30_000);
