// What render writes into the page for one Pi (provision/core/render/viewer.ts) and the page reads,
// and the files viewer/build.ts hands render.

export interface ViewerAssets {
  /** page.html with {{title}} and {{config}} still to fill in. */
  page: string;
  /** The page's script (viewer/app.ts and the QR encoder). */
  app: string;
  /** hls.js, light build: plays HLS through MediaSource where the browser cannot itself. */
  hlsLibrary: string;
  /** The WebRTC service (webrtc/, werift inside), one CommonJS file for the Pi's Node. */
  webrtcService: string;
}

export interface PageConfig {
  name: string;
  /** Playback paths in order of preference. */
  paths: ('webrtc' | 'hls')[];
  /** The WHEP endpoint (WebRTC signalling), relative to the page. */
  whep: string;
  /** The HLS playlist's URL path. */
  hls: string;
  /** The player library for browsers without native HLS. */
  hlsLibrary: string;
  rtmp: { port: number; application: string; key: string };
}
