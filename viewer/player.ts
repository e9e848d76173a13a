// Playing a camera's HLS in a <video>, shared by the viewer page (viewer/app.ts) and the fleet wall
// (wall/app.ts): hls.js where the browser feeds video through MediaSource, the browser's own HLS
// where it has no MediaSource (iPhones), and frames watched to tell live from offline. Browser code,
// bundled into each page's script.

interface HlsPlayer {
  loadSource(url: string): void;
  attachMedia(video: HTMLVideoElement): void;
  on(event: string, handler: (event: string, data: { fatal?: boolean }) => void): void;
  destroy(): void;
}
export interface HlsClass {
  new (config: object): HlsPlayer;
  isSupported(): boolean;
  Events: { ERROR: string };
}

/** Retried this long after a playlist that is not there yet (camera offline) or a fatal error. */
const retryMs = 2000;
/** No frame for this long: the camera shows as offline. */
const stallMs = 4000;

/** Autoplay of muted inline video is allowed everywhere; if a browser still refuses, the controls remain. */
export function play(video: HTMLVideoElement): void {
  video.play().catch(() => {});
}

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.append(s);
  });
}

/**
 * hls.js (served by the same server as the page, at `src`) where the browser can feed video through
 * MediaSource and hls.js says it works; undefined elsewhere. Chromium announces native HLS too, yet
 * Debian's build fetches fragments and never shows a frame (measured), so the announcement alone is
 * not trusted: MediaSource decides.
 */
export async function loadHlsJs(src: string): Promise<HlsClass | undefined> {
  if (!('MediaSource' in window || 'ManagedMediaSource' in window)) return undefined;
  const loaded = await loadScript(src).then(() => true, () => false);
  const Hls = (window as unknown as { Hls?: HlsClass }).Hls;
  return loaded && Hls?.isSupported() ? Hls : undefined;
}

/** Whether the browser plays HLS itself (Safari, iPhones). */
export const playsHlsNatively = (video: HTMLVideoElement): boolean => video.canPlayType('application/vnd.apple.mpegurl') !== '';

/**
 * Play the playlist at `url` in `video`, with hls.js when given, else natively; after a fatal error
 * (the playlist is not there yet, the camera went away) `onOffline` is called and it starts again.
 */
export function playHls(video: HTMLVideoElement, url: string, Hls: HlsClass | undefined, onOffline: () => void): void {
  if (Hls) {
    const start = () => {
      // Stay one and a half fragments (one keyframe interval each) behind the live edge, not three.
      // hls.js reloads the playlist once a fragment, so the newest fragment it knows of is up to one
      // fragment old: half a fragment stays buffered at worst. Two fragments behind measured 2.1–3.0 s
      // glass to glass, by where the reloads fell between nginx-rtmp's writes; this measures 1.7–2.5 s.
      const hls = new Hls({ liveSyncDurationCount: 1.5, liveMaxLatencyDurationCount: 5, maxLiveSyncPlaybackRate: 1.5, backBufferLength: 10 });
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (!data.fatal) return;
        onOffline();
        hls.destroy();
        setTimeout(start, retryMs);
      });
      hls.loadSource(url);
      hls.attachMedia(video);
      play(video);
    };
    return start();
  }
  const load = () => {
    video.src = url;
    play(video);
  };
  video.addEventListener('error', () => {
    onOffline();
    setTimeout(load, retryMs);
  });
  load();
}

/**
 * Live means frames are being shown: `onFrame` for every frame shown, `onStall` once when frames
 * stop for a few seconds (a camera that goes away shows as offline within seconds).
 */
export function watchFrames(video: HTMLVideoElement, onFrame: () => void, onStall: () => void): void {
  let lastFrame = 0;
  const frame = () => {
    lastFrame = performance.now();
    onFrame();
  };
  const v = video as HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => void };
  if (typeof v.requestVideoFrameCallback === 'function') {
    const onVideoFrame = () => {
      frame();
      v.requestVideoFrameCallback!(onVideoFrame);
    };
    v.requestVideoFrameCallback(onVideoFrame);
  } else {
    // Firefox before 132 has no requestVideoFrameCallback: the playhead moving says as much.
    video.addEventListener('timeupdate', frame);
  }
  setInterval(() => {
    if (lastFrame > 0 && performance.now() - lastFrame > stallMs) {
      lastFrame = 0;
      onStall();
    }
  }, 1000);
}
