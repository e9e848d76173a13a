// nginx-rtmp's statistics page (rtmp_stat XML) -> the streams it serves. Pure, and lenient: the
// XML has a fixed, flat shape, so a few targeted matches read it without an XML parser. Read by
// `camfleet status`, the streamer's metrics and the origin's exporter.

export interface LiveStream {
  application: string;
  name: string;
  publishing: boolean;
  /** Players, not counting the publisher. */
  viewers: number;
  width?: number;
  height?: number;
  fps?: number;
  codec?: string;
  /** Incoming bits per second (see incomingBitrate). */
  bitrateIn?: number;
  uptimeSeconds: number;
  /** Bytes nginx-rtmp received for the stream and sent from it. */
  bytesIn?: number;
  bytesOut?: number;
  /**
   * How long the publishing client has been connected, ms: unlike the stream's own age, it starts
   * again when a publisher goes and another comes while players stay (nginx-rtmp keeps the stream).
   */
  publisherAgeMs?: number;
}

const tag = (xml: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
const num = (xml: string, name: string): number | undefined => {
  const v = tag(xml, name);
  return v === undefined || v === '' ? undefined : Number(v);
};

export function parseRtmpStat(xml: string): LiveStream[] {
  const streams: LiveStream[] = [];
  for (const app of xml.match(/<application>[\s\S]*?<\/application>/g) ?? []) {
    const application = tag(app, 'name') ?? '';
    for (const s of app.match(/<stream>[\s\S]*?<\/stream>/g) ?? []) {
      const publishing = /<publishing\s*\/>/.test(s);
      const clients = num(s, 'nclients') ?? 0;
      const video = /<video>[\s\S]*?<\/video>/.exec(s)?.[0] ?? '';
      const publisher = s.match(/<client>[\s\S]*?<\/client>/g)?.find((c) => /<publishing\s*\/>/.test(c));
      streams.push({
        application,
        name: tag(s, 'name') ?? '',
        publishing,
        viewers: Math.max(0, clients - (publishing ? 1 : 0)),
        width: num(video, 'width'),
        height: num(video, 'height'),
        fps: num(video, 'frame_rate'),
        codec: tag(video, 'codec'),
        bitrateIn: incomingBitrate(num(s, 'bw_in'), num(s, 'bytes_in'), num(s, 'time')),
        uptimeSeconds: Math.round((num(s, 'time') ?? 0) / 1000),
        bytesIn: num(s, 'bytes_in'),
        bytesOut: num(s, 'bytes_out'),
        publisherAgeMs: publisher === undefined ? undefined : num(publisher, 'time'),
      });
    }
  }
  return streams;
}

/**
 * nginx-rtmp's bw_in (bits/s) is the average over the last whole 10-second interval, so it reads
 * 0 for a stream's first ten seconds — a stream just (re)started, which is when an operator looks. Until then the average since the stream began (bytes_in over its age) stands in.
 */
function incomingBitrate(bwIn: number | undefined, bytesIn: number | undefined, ageMs: number | undefined): number | undefined {
  if (bwIn) return bwIn;
  if (!bytesIn || !ageMs || ageMs < 1000) return bwIn;
  return Math.round((bytesIn * 8) / (ageMs / 1000));
}
