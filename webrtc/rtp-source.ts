// The Pi's stream as RTP packets, as the streamer's ffmpeg sends them to a loopback UDP port
// beside its RTMP publish (the tee muxer, streamer/ffmpeg-args.ts): the one encode, never read back
// or copied. SPS and PPS come in-band before every keyframe, so a viewer can start at any keyframe.
// Each run of that ffmpeg (the streamer restarted at a new size, or its ffmpeg replaced) sends
// under a new random SSRC: a new SSRC is a new stream, whose packets are rebased to go on from the
// last ones, and whose viewers must wait for its next keyframe (onNewRun).
import { receiveBufferBytes } from '../contract/webrtc-config.ts';
import { createSocket } from 'node:dgram';

export interface RtpSource {
  /** Called with every RTP packet, and whether it starts a keyframe (SPS, or an IDR slice's first fragment). */
  onPacket(handler: (packet: Buffer, startsKeyframe: boolean) => void): void;
  /** Called as packets of a new run of the streamer's ffmpeg arrive (a new SSRC): another stream (size, SPS), beginning at its next keyframe. */
  onNewRun(handler: () => void): void;
  /** ms since the last packet (Infinity before the first): status and tests read it. */
  idleMs(): number;
  stop(): void;
}

/** H.264 over RTP (RFC 6184): does this packet begin a keyframe? */
export function startsKeyframe(packet: Buffer): boolean {
  const csrcs = packet[0]! & 0x0f;
  const hasExtension = (packet[0]! & 0x10) !== 0;
  let offset = 12 + csrcs * 4;
  if (hasExtension) offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  const nal = packet[offset];
  if (nal === undefined) return false;
  const type = nal & 0x1f;
  if (type === 7 || type === 5) return true; // SPS, or a whole IDR slice
  if (type === 24) return ((packet[offset + 3] ?? 0) & 0x1f) === 7; // STAP-A beginning with an SPS
  if (type === 28) {
    const fu = packet[offset + 1] ?? 0;
    return (fu & 0x80) !== 0 && ((fu & 0x1f) === 5 || (fu & 0x1f) === 7); // first fragment of an IDR
  }
  return false;
}

export async function startRtpSource(port: number, log: (line: string) => void): Promise<RtpSource> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // A slow event loop turn must not drop packets in the kernel (the kernel caps this at net.core.rmem_max).
  socket.setRecvBufferSize(receiveBufferBytes);
  const handlers: ((packet: Buffer, key: boolean) => void)[] = [];
  const newRunHandlers: (() => void)[] = [];
  let last = -Infinity;
  // Each run starts its sequence numbers and timestamps anywhere: they are rebased to go on from
  // the previous run's, so what leaves here is one RTP stream for werift and the browsers.
  let ssrc: number | undefined;
  // A late packet of a run already replaced (still queued in the socket) is dropped, not taken for yet another stream.
  const retired: number[] = [];
  let rebase = { seq: 0, timestamp: 0 };
  let out = { seq: 0, timestamp: 0, at: 0 };
  socket.on('message', (packet) => {
    if (packet.length < 12 || packet[0]! >> 6 !== 2) return;
    const now = performance.now();
    const packetSsrc = packet.readUInt32BE(8);
    if (retired.includes(packetSsrc)) return;
    if (packetSsrc !== ssrc) {
      // One 90 kHz tick per 1/90000 s since the previous run's last packet.
      const gap = Math.max(1, Math.round((now - out.at) * 90));
      rebase = { seq: (out.seq + 1 - packet.readUInt16BE(2)) & 0xffff, timestamp: (out.timestamp + gap - packet.readUInt32BE(4)) >>> 0 };
      if (ssrc !== undefined) {
        log(`a new stream from the streamer's ffmpeg (SSRC ${packetSsrc.toString(16)}): viewers go on at its first keyframe`);
        retired.push(ssrc);
        if (retired.length > 8) retired.shift();
      }
      ssrc = packetSsrc;
      for (const h of newRunHandlers) h();
    }
    out = { seq: (packet.readUInt16BE(2) + rebase.seq) & 0xffff, timestamp: (packet.readUInt32BE(4) + rebase.timestamp) >>> 0, at: now };
    packet.writeUInt16BE(out.seq, 2);
    packet.writeUInt32BE(out.timestamp, 4);
    last = now;
    const key = startsKeyframe(packet);
    for (const h of handlers) h(packet, key);
  });

  return {
    onPacket: (h) => void handlers.push(h),
    onNewRun: (h) => void newRunHandlers.push(h),
    idleMs: () => performance.now() - last,
    stop: () => socket.close(),
  };
}
