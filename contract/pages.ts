// The settings render writes into each page (as JSON in a <script> element) and the page's script
// reads: a camera's viewer page and the fleet wall.

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

export interface WallCamera {
  name: string;
  /** URL of the camera's HLS playlist, relative to the wall page's server. */
  hls: string;
  /** The camera's own viewer page, opened by tapping its tile; empty when there is none. */
  page: string;
  /** The camera's recordings page (on the camera itself, where its footage is), when it records. */
  recordings?: string;
}

export interface WallConfig {
  title: string;
  cameras: WallCamera[];
  /** hls.js, for browsers that cannot play HLS natively. */
  hlsLibrary: string;
}
