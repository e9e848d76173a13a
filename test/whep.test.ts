// camfleet-webrtc's WHEP server on loopback with real parts: libx264 sending RTP as the streamer's
// ffmpeg does (its own tee output), and a real WebRTC peer (werift, the same library, as the
// viewer: browsers are the lab e2e tests' business) that offers, connects over ICE and DTLS, and
// must receive the stream starting at a keyframe. Also its refusals and its bookkeeping.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import type { WebrtcConfig } from '../contract/webrtc-config.ts';
import { startRtpSource, type RtpSource } from '../webrtc/rtp-source.ts';
import { startWhep, type WhepServer } from '../webrtc/whep.ts';
import { rtpOutput } from '../streamer/ffmpeg-args.ts';

let publisher: ChildProcess;
let source: RtpSource;
let whep: WhepServer;
const config: WebrtcConfig = { rtpPort: 18890, listen: { host: '127.0.0.1', port: 18889 }, icePorts: [51000, 51010], profileLevelId: '42e01f', maxViewers: 1 };
const base = `http://127.0.0.1:${config.listen.port}`;

beforeAll(async () => {
  source = await startRtpSource(config.rtpPort, () => {});
  publisher = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15',
    '-map', '0:v', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-g', '15', '-pix_fmt', 'yuv420p', '-flags', '+global_header', '-f', 'tee', rtpOutput(config.rtpPort)], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1500));
  // Loopback is all a test's network namespace may have: both sides offer it (werift leaves it out by default).
  whep = await startWhep(config, source, () => {}, ['127.0.0.1']);
}, 20_000);
afterAll(async () => {
  await whep?.close();
  source?.stop();
  publisher?.kill('SIGKILL');
});

/** A viewer: a recvonly offer with every candidate in it, as the page sends it. */
async function viewer() {
  const pc = new RTCPeerConnection({ iceAdditionalHostAddresses: ['127.0.0.1'], codecs: { video: [new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, parameters: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1' })] } });
  pc.addTransceiver('video', { direction: 'recvonly' });
  const firstNal = new Promise<number>((resolve) => pc.onTrack.subscribe((track) => track.onReceiveRtp.once((rtp) => resolve(rtp.payload[0]! & 0x1f))));
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== 'complete') await pc.iceGatheringStateChange.watch((s) => s === 'complete', 5000);
  const res = await fetch(`${base}/whep`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription!.sdp });
  return { pc, res, firstNal };
}

const status = async () => (await (await fetch(`${base}/whep/status`)).json()) as { viewers: number; streamIdleMs: number };

it('answers an offer, connects, and sends the stream from a keyframe (its SPS, or a STAP-A holding it); DELETE ends it', async () => {
  const { pc, res, firstNal } = await viewer();
  expect(res.status).toBe(201);
  expect(res.headers.get('content-type')).toBe('application/sdp');
  const location = res.headers.get('location')!;
  expect(location).toMatch(/^\/whep\/[0-9a-f-]{36}$/);
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  // 7: an SPS alone; 24: STAP-A, the SPS and PPS together; 5: an IDR slice. Never a P slice (1) first.
  expect([5, 7, 24]).toContain(await firstNal);
  expect((await status()).viewers).toBe(1);
  expect((await status()).streamIdleMs).toBeLessThan(1000);

  // maxViewers is 1 here: the next viewer is sent to HLS.
  const second = await viewer();
  expect(second.res.status).toBe(503);
  expect(await second.res.text()).toMatch(/use HLS/);
  await second.pc.close();

  expect((await fetch(`${base}${location}`, { method: 'DELETE' })).status).toBe(200);
  expect((await status()).viewers).toBe(0);
  expect((await fetch(`${base}${location}`, { method: 'DELETE' })).status).toBe(404);
  await pc.close();
}, 30_000);

it('refuses what is not an SDP offer, and anything else it does not serve', async () => {
  expect((await fetch(`${base}/whep`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' })).status).toBe(415);
  const bad = await fetch(`${base}/whep`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: 'not sdp' });
  expect(bad.status).toBe(400);
  expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
  expect((await status()).viewers).toBe(0);
});
