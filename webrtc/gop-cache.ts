// The stream since its latest keyframe, so a viewer who has just connected sees a picture at once
// instead of waiting up to a keyframe interval (1 s) for the next one: the Pi's encoder takes no
// keyframe requests (ffmpeg's CLI has none), so the keyframe a new viewer needs is the last one.
// The cached frames are sent in a burst with their RTP timestamps squeezed up against the newest
// one (one 90 kHz tick apart): the browser decodes them as frames that are due now and shows the
// newest, so the viewer starts at the live edge, not a second behind it.

/** RTP timestamp (bytes 4–7 of the fixed header). */
const timestampOf = (packet: Buffer): number => packet.readUInt32BE(4);

export interface GopCache {
  /** Every packet, in order, with whether it starts a keyframe (rtp-source.ts's startsKeyframe). */
  add(packet: Buffer, startsKeyframe: boolean): void;
  /** Copies of the cached packets, timestamps squeezed, to send a new viewer before the live ones; empty before the first keyframe. */
  catchUp(): Buffer[];
  /** Forgets the cached GOP: the stream starts over (a new run of the streamer's ffmpeg), and a viewer must not get the old one's frames before the new one's. */
  reset(): void;
}

/** `limitBytes` caps the memory: a longer GOP is not cached and its viewers wait for the next keyframe. */
export function gopCache(limitBytes: number): GopCache {
  let packets: Buffer[] = [];
  let bytes = 0;
  let keyTimestamp: number | undefined;
  let overflowed = false;
  const reset = () => {
    packets = [];
    bytes = 0;
    keyTimestamp = undefined;
    overflowed = false;
  };
  return {
    reset,
    add(packet, startsKeyframe) {
      const ts = timestampOf(packet);
      // SPS, PPS and the IDR slices share one timestamp: the first of them starts the GOP.
      if (startsKeyframe && ts !== keyTimestamp) {
        reset();
        keyTimestamp = ts;
      }
      if (keyTimestamp === undefined || overflowed) return;
      bytes += packet.length;
      if (bytes > limitBytes) {
        overflowed = true;
        packets = [];
        return;
      }
      packets.push(packet);
    },
    catchUp() {
      if (packets.length === 0) return [];
      const frames = [...new Set(packets.map(timestampOf))];
      const newest = frames.at(-1)!;
      const squeezed = new Map(frames.map((ts, i) => [ts, (newest - (frames.length - 1 - i)) >>> 0]));
      return packets.map((p) => {
        const copy = Buffer.from(p);
        copy.writeUInt32BE(squeezed.get(timestampOf(p))!, 4);
        return copy;
      });
    },
  };
}
