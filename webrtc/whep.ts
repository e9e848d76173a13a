// WHEP (WebRTC-HTTP Egress Protocol, RFC 9725) on loopback, behind nginx: a viewer POSTs its SDP
// offer, gets the answer with every ICE candidate in it (no trickle: a Pi on its own hotspot has
// only host candidates, gathered at once), and once connected receives the stream from its latest
// keyframe (gop-cache.ts), then live as it comes. DELETE on the returned Location ends it. WebRTC
// itself is werift's.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import type { WebrtcConfig } from './config.ts';
import { gopCacheBytes } from '../contract/webrtc-config.ts';
import { gopCache } from './gop-cache.ts';
import type { RtpSource } from './rtp-source.ts';

interface Viewer {
  pc: RTCPeerConnection;
  track: MediaStreamTrack;
  /** ICE and DTLS are up: werift drops whatever is written before. */
  connected: boolean;
  /** Packets flow from a keyframe on (the cached one, else the next): a decoder cannot begin mid-GOP. */
  started: boolean;
  /** Ends the viewer if ICE and DTLS are not up in time. */
  connecting: ReturnType<typeof setTimeout>;
}

/** How long an answered viewer may take to connect before its place is given back (a phone on a hotspot takes a second). */
const connectTimeoutMs = 15_000;

export interface WhepServer {
  server: Server;
  viewers(): number;
  close(): Promise<void>;
}

/**
 * `hostAddresses`: addresses to offer beside the interfaces' own, which never include loopback (a
 * viewer on this machine itself, such as a test in a network namespace with nothing but lo).
 */
export async function startWhep(config: WebrtcConfig, source: RtpSource, log: (line: string) => void, hostAddresses: string[] = []): Promise<WhepServer> {
  const viewers = watching(source, log);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const handle = async () => {
      if (req.method === 'POST' && path === '/whep') return offer(config, viewers, hostAddresses, req, res);
      const m = /^\/whep\/([0-9a-f-]{36})$/.exec(path);
      if (req.method === 'DELETE' && m) return (await viewers.end(m[1]!)) ? reply(res, 200, '') : reply(res, 404, 'no such viewer');
      if (req.method === 'GET' && path === '/whep/status')
        return reply(res, 200, JSON.stringify({ viewers: viewers.size(), streamIdleMs: Math.min(Math.round(source.idleMs()), 1e9) }), 'application/json');
      return reply(res, 404, 'not found');
    };
    handle().catch((e: Error) => reply(res, 500, e.message));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, resolve);
  });
  return {
    server,
    viewers: viewers.size,
    close: async () => {
      await viewers.endAll();
      await new Promise((r) => server.close(r));
    },
  };
}

/** The viewers watching, each fed the source's packets from a keyframe on. */
interface Watching {
  size(): number;
  /** A viewer whose offer was answered; it gets packets once connected (ICE and DTLS up). */
  join(pc: RTCPeerConnection, track: MediaStreamTrack): string;
  end(id: string): Promise<boolean>;
  endAll(): Promise<void>;
}

function watching(source: RtpSource, log: (line: string) => void): Watching {
  const viewers = new Map<string, Viewer>();
  const gop = gopCache(gopCacheBytes);
  source.onPacket((packet, key) => {
    gop.add(packet, key);
    for (const v of viewers.values()) {
      if (!v.connected || (!v.started && !key)) continue;
      v.started = true;
      v.track.writeRtp(packet);
    }
  });
  // A new run of the streamer's ffmpeg may be a new stream (another size, another SPS): neither a joining nor
  // a watching viewer gets its frames before its first keyframe, nor the old stream's after it.
  source.onNewRun(() => {
    gop.reset();
    for (const v of viewers.values()) v.started = false;
  });
  const end = async (id: string) => {
    const v = viewers.get(id);
    if (!v) return false;
    clearTimeout(v.connecting);
    viewers.delete(id);
    await v.pc.close().catch(() => {});
    log(`viewer ${id.slice(0, 8)} left (${viewers.size} watching)`);
    return true;
  };
  const join = (pc: RTCPeerConnection, track: MediaStreamTrack) => {
    const id = randomUUID();
    // A viewer that never connects (it went away, or never meant to) gives its place back.
    const connecting = setTimeout(() => void end(id).then((ended) => ended && log(`viewer ${id.slice(0, 8)} never connected`)), connectTimeoutMs);
    const viewer: Viewer = { pc, track, connected: false, started: false, connecting };
    viewers.set(id, viewer);
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'failed' || state === 'closed' || state === 'disconnected') return void end(id);
      if (state !== 'connected' || viewer.connected) return;
      clearTimeout(connecting);
      // In one turn of the event loop with the live packets' handler: nothing between the two is lost or doubled.
      const burst = gop.catchUp();
      for (const packet of burst) track.writeRtp(packet);
      viewer.started = burst.length > 0;
      viewer.connected = true;
    });
    log(`viewer ${id.slice(0, 8)} joined (${viewers.size} watching)`);
    return id;
  };
  return { size: () => viewers.size, join, end, endAll: async () => void (await Promise.all([...viewers.keys()].map(end))) };
}

/** POST /whep: answer the viewer's SDP offer with every ICE candidate in it, or refuse it. */
async function offer(config: WebrtcConfig, viewers: Watching, hostAddresses: string[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!/^application\/sdp/.test(req.headers['content-type'] ?? '')) return reply(res, 415, 'expected an SDP offer (application/sdp)');
  if (viewers.size() >= config.maxViewers) return reply(res, 503, `${config.maxViewers} viewers already: use HLS`);
  const sdp = await body(req, 64 * 1024);
  // werift answers nearly any text; a viewer is an SDP offer with a video section.
  if (!/^v=0\r?\n/.test(sdp) || !/^m=video /m.test(sdp)) return reply(res, 400, 'cannot answer this offer: not an SDP offer with a video section');
  const pc = new RTCPeerConnection({ codecs: { video: [h264(config.profileLevelId)] }, icePortRange: config.icePorts, ...(hostAddresses.length ? { iceAdditionalHostAddresses: hostAddresses } : {}) });
  const track = new MediaStreamTrack({ kind: 'video' });
  pc.addTransceiver(track, { direction: 'sendonly' });
  try {
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    if (pc.iceGatheringState !== 'complete') await pc.iceGatheringStateChange.watch((s) => s === 'complete', 5000);
  } catch (e) {
    await pc.close().catch(() => {});
    return reply(res, 400, `cannot answer this offer: ${(e as Error).message}`);
  }
  const id = viewers.join(pc, track);
  res.writeHead(201, { 'Content-Type': 'application/sdp', Location: `/whep/${id}` });
  res.end(pc.localDescription!.sdp);
}

const h264 = (profileLevelId: string) =>
  new RTCRtpCodecParameters({
    mimeType: 'video/H264',
    clockRate: 90000,
    rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
    parameters: `profile-level-id=${profileLevelId};packetization-mode=1;level-asymmetry-allowed=1`,
  });

function reply(res: ServerResponse, status: number, text: string, type = 'text/plain'): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': type });
  res.end(text);
}

function body(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) return req.destroy(new Error('offer too large'));
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
