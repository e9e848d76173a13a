// The Pi's stream as RTP packets, without re-encoding: ffmpeg reads it back from nginx-rtmp and
// copies the H.264 into RTP (`-c copy`), sending it to a UDP socket on loopback that this module
// reads. SPS and PPS go in-band before every keyframe (h264_mp4toannexb), so a viewer can start at
// any keyframe. ffmpeg is restarted with capped backoff if it exits (nginx restarted, no stream).
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

export interface RtpSource {
  /** Called with every RTP packet, and whether it starts a keyframe (SPS, or an IDR slice's first fragment). */
  onPacket(handler: (packet: Buffer, startsKeyframe: boolean) => void): void;
  /** ms since the last packet (Infinity before the first): status and tests read it. */
  idleMs(): number;
  stop(): void;
}

export function ffmpegRtpArgs(rtmpUrl: string, port: number): string[] {
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    // Packets leave as they arrive: no probing beyond the stream's header, no input buffering.
    '-fflags', 'nobuffer', '-flags', 'low_delay', '-probesize', '32768', '-analyzeduration', '0',
    '-rw_timeout', '5000000',
    '-i', rtmpUrl,
    '-an', '-c:v', 'copy', '-bsf:v', 'h264_mp4toannexb',
    // 1200-byte packets stay under any Wi-Fi or VPN MTU once SRTP and UDP headers are added.
    '-f', 'rtp', '-payload_type', '96', `rtp://127.0.0.1:${port}?pkt_size=1200`,
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
  // A second of 8 Mbit/s video: a slow event loop turn must not drop packets in the kernel.
  socket.setRecvBufferSize(1 << 20);
  const port = (socket.address() as AddressInfo).port;
  const handlers: ((packet: Buffer, key: boolean) => void)[] = [];
  let last = -Infinity;
  socket.on('message', (packet) => {
    last = performance.now();
    const key = startsKeyframe(packet);
    for (const h of handlers) h(packet, key);
  });

  let child: ChildProcess | undefined;
  let stopped = false;
  let backoff = 500;
  const run = () => {
    if (stopped) return;
    const started = performance.now();
    const proc = spawn('ffmpeg', ffmpegRtpArgs(rtmpUrl, port), { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-2000)));
    proc.on('exit', (code, signal) => {
      if (stopped) return;
      // A run that streamed for a while starts over quickly; one that keeps failing backs off.
      backoff = performance.now() - started > 10_000 ? 500 : Math.min(backoff * 2, 5000);
      log(`ffmpeg (RTMP to RTP) exited (${signal ?? code})${stderr.trim() ? `: ${stderr.trim().split('\n').at(-1)}` : ''}; again in ${backoff} ms`);
      setTimeout(run, backoff);
    });
  };
  run();
  return {
    onPacket: (h) => void handlers.push(h),
    idleMs: () => performance.now() - last,
    stop() {
      stopped = true;
      child?.kill('SIGTERM');
      socket.close();
    },
  };
}
