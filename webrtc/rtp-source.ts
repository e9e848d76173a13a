// The Pi's stream as RTP packets, without re-encoding: ffmpeg reads it back from nginx-rtmp and
// copies the H.264 into RTP (`-c copy`), sending it to a UDP socket on loopback that this module
// reads. SPS and PPS go in-band before every keyframe (h264_mp4toannexb), so a viewer can start at
// any keyframe. ffmpeg is restarted with capped backoff if it exits (nginx restarted, no stream),
// and at once when the stream gets a new publisher (publisher.ts): it reads the stream header,
// SPS and PPS, only when it joins, and nginx-rtmp keeps it joined across a publisher's restart, so
// a new size would otherwise reach browsers under the old one's SPS.
import { receiveBufferBytes } from '../contract/webrtc-config.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

export interface RtpSource {
  /** Called with every RTP packet, and whether it starts a keyframe (SPS, or an IDR slice's first fragment). */
  onPacket(handler: (packet: Buffer, startsKeyframe: boolean) => void): void;
  /** Called as each run of ffmpeg starts: the packets from here on may be another stream (size, SPS), beginning at its next keyframe. */
  onNewRun(handler: () => void): void;
  /**
   * The stream's publisher has been publishing for `ms`: if this run of ffmpeg began before it, it
   * starts over (once more than needed if it began waiting for a publisher: harmless). Called as the
   * statistics page arrives, a late answer errs towards one restart too many, never one too few.
   */
  publisherAge(ms: number): void;
  /** ms since the last packet (Infinity before the first): status and tests read it. */
  idleMs(): number;
  stop(): void;
}

export function ffmpegRtpArgs(rtmpUrl: string, port: number, ssrc = 0): string[] {
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    // Packets leave as they arrive: no probing beyond the stream's header, no input buffering.
    '-fflags', 'nobuffer', '-flags', 'low_delay', '-probesize', '32768', '-analyzeduration', '0',
    '-rw_timeout', '5000000',
    '-i', rtmpUrl,
    '-an', '-c:v', 'copy', '-bsf:v', 'h264_mp4toannexb',
    // 1200-byte packets stay under any Wi-Fi or VPN MTU once SRTP and UDP headers are added.
    '-f', 'rtp', '-payload_type', '96', '-ssrc', String(ssrc), `rtp://127.0.0.1:${port}?pkt_size=1200`,
  ];
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

export async function startRtpSource(rtmpUrl: string, log: (line: string) => void): Promise<RtpSource> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  // A slow event loop turn must not drop packets in the kernel (the kernel caps this at net.core.rmem_max).
  socket.setRecvBufferSize(receiveBufferBytes);
  const port = (socket.address() as AddressInfo).port;
  const handlers: ((packet: Buffer, key: boolean) => void)[] = [];
  const newRunHandlers: (() => void)[] = [];
  let last = -Infinity;
  // Each run of ffmpeg sends under its own SSRC, so a packet the previous run left in the socket
  // is dropped, and starts its sequence numbers and timestamps anywhere: they are rebased to go on
  // from the previous run's, so what leaves here is one RTP stream for werift and the browsers.
  let ssrc = 0;
  let rebase: { seq: number; timestamp: number } | undefined;
  let out = { seq: 0, timestamp: 0, at: 0 };
  socket.on('message', (packet) => {
    if (packet.length < 12 || packet.readUInt32BE(8) !== ssrc) return;
    const now = performance.now();
    if (!rebase) {
      // One 90 kHz tick per 1/90000 s since the previous run's last packet.
      const gap = Math.max(1, Math.round((now - out.at) * 90));
      rebase = { seq: (out.seq + 1 - packet.readUInt16BE(2)) & 0xffff, timestamp: (out.timestamp + gap - packet.readUInt32BE(4)) >>> 0 };
    }
    out = { seq: (packet.readUInt16BE(2) + rebase.seq) & 0xffff, timestamp: (packet.readUInt32BE(4) + rebase.timestamp) >>> 0, at: now };
    packet.writeUInt16BE(out.seq, 2);
    packet.writeUInt32BE(out.timestamp, 4);
    last = now;
    const key = startsKeyframe(packet);
    for (const h of handlers) h(packet, key);
  });

  let child: ChildProcess | undefined;
  let startedAt = 0;
  let stopped = false;
  let backoff = 500;
  const run = () => {
    if (stopped) return;
    ssrc = (ssrc % 0x7fffffff) + 1;
    rebase = undefined;
    startedAt = performance.now();
    for (const h of newRunHandlers) h();
    const proc = spawn('ffmpeg', ffmpegRtpArgs(rtmpUrl, port, ssrc), { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-2000)));
    proc.on('exit', (code, signal) => {
      if (stopped || proc !== child) return;
      child = undefined;
      // A run that streamed for a while starts over quickly; one that keeps failing backs off.
      backoff = performance.now() - startedAt > 10_000 ? 500 : Math.min(backoff * 2, 5000);
      log(`ffmpeg (RTMP to RTP) exited (${signal ?? code})${stderr.trim() ? `: ${stderr.trim().split('\n').at(-1)}` : ''}; again in ${backoff} ms`);
      setTimeout(run, backoff);
    });
  };
  run();
  return {
    onPacket: (h) => void handlers.push(h),
    onNewRun: (h) => void newRunHandlers.push(h),
    publisherAge(ms) {
      // Between runs there is nothing to restart: the next run joins the new publisher.
      if (!child || performance.now() - startedAt <= ms) return;
      log(`the stream has a new publisher: ffmpeg (RTMP to RTP) starts over to read its stream header`);
      const old = child;
      child = undefined;
      old.once('exit', run);
      old.kill('SIGTERM');
      setTimeout(() => old.exitCode === null && old.signalCode === null && old.kill('SIGKILL'), 3000).unref();
    },
    idleMs: () => performance.now() - last,
    stop() {
      stopped = true;
      child?.kill('SIGTERM');
      socket.close();
    },
  };
}
