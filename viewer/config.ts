// What render writes into the page for one Pi (provision/render/viewer.ts) and the page reads.
export interface PageConfig {
  name: string;
  /** Playback paths in order of preference. */
  paths: 'hls'[];
  /** The HLS playlist's URL path. */
  hls: string;
  /** The player library for browsers without native HLS. */
  hlsLibrary: string;
  rtmp: { port: number; application: string; key: string };
}
