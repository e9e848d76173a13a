// What is built for the Pi, the origin and the browser and deployed by render as managed files: one type, so
// the pure core (which renders them) and the build (which makes them) meet here and nowhere else.
// provision/converge/artifacts.ts builds them; the bundled CLI carries them prebuilt.

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

export interface WallAssets {
  /** page.html with {{title}} and {{config}} still to fill in. */
  page: string;
  /** The wall's script (wall/app.ts). */
  app: string;
}

export interface Artifacts {
  /** The streamer (streamer/), one ES module for the Pi's Node. */
  streamerBundle: string;
  /** The viewer page's files and the WebRTC service. */
  viewerAssets: ViewerAssets;
  /** The fleet wall's files: needed only to render an origin. */
  wallAssets: WallAssets;
  /** The origin's Prometheus exporter (origin-exporter/), one ES module for the origin's Node: needed only to render an origin. */
  originExporter: string;
}
