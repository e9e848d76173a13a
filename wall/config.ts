// What the fleet wall page carries (written into it by render for an origin, or by `npm run wall`
// for an operator without one) and what its script reads.
export interface WallCamera {
  name: string;
  /** URL of the camera's HLS playlist, relative to the wall page's server. */
  hls: string;
  /** The camera's own viewer page, opened by tapping its tile; empty when there is none. */
  page: string;
}

export interface WallConfig {
  title: string;
  cameras: WallCamera[];
  /** hls.js, for browsers that cannot play HLS natively. */
  hlsLibrary: string;
}
