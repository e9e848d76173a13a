// The fleet wall's script: a tile per camera, each playing the camera's HLS at once (muted,
// inline) with its name and whether frames are arriving. Bundled by wall/build.ts into wall.js;
// everything it loads comes from the server that served the page.
import type { WallCamera, WallConfig } from './config.ts';

interface HlsPlayer {
  loadSource(url: string): void;
  attachMedia(video: HTMLVideoElement): void;
  on(event: string, handler: (event: string, data: { fatal?: boolean }) => void): void;
  destroy(): void;
}
interface HlsClass {
  new (config: object): HlsPlayer;
  isSupported(): boolean;
  Events: { ERROR: string };
}
type State = 'connecting' | 'live' | 'offline';
/** hls.js puts itself on window; the viewer page's script declares it there too, with its own shape. */
const hlsOf = (): HlsClass | undefined => (window as unknown as { Hls?: HlsClass }).Hls;

const config = JSON.parse(document.getElementById('camfleet-wall')!.textContent!) as WallConfig;
const states: Record<string, State> = {};
// For people and tests: each camera's state as the wall sees it.
(window as unknown as { camfleetWall: Record<string, State> }).camfleetWall = states;
const summary = document.getElementById('summary')!;

function showSummary(): void {
  const live = Object.values(states).filter((s) => s === 'live').length;
  summary.textContent = `${live} of ${config.cameras.length} live`;
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

function tile(camera: WallCamera): { video: HTMLVideoElement; setState: (s: State) => void } {
  const figure = document.createElement('figure');
  const video = document.createElement('video');
  Object.assign(video, { muted: true, autoplay: true, playsInline: true });
  video.dataset.camera = camera.name;
  const caption = document.createElement('figcaption');
  const name = document.createElement(camera.page ? 'a' : 'span');
  name.textContent = camera.name;
  if (name instanceof HTMLAnchorElement) name.href = camera.page;
  const badge = document.createElement('span');
  caption.append(name, badge);
  figure.append(video, caption);
  document.getElementById('wall')!.append(figure);
  const setState = (s: State) => {
    states[camera.name] = s;
    badge.textContent = s === 'live' ? 'LIVE' : s;
    badge.className = `state ${s}`;
    showSummary();
  };
  setState('connecting');
  return { video, setState };
}

/** Live means frames are being shown; a camera whose frames stop shows as offline within seconds. */
function watchFrames(video: HTMLVideoElement, setState: (s: State) => void): void {
  let lastFrame = 0;
  const v = video as HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => void };
  if (typeof v.requestVideoFrameCallback === 'function') {
    const onFrame = () => {
      lastFrame = performance.now();
      setState('live');
      v.requestVideoFrameCallback!(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
  } else {
    video.addEventListener('timeupdate', () => ((lastFrame = performance.now()), setState('live')));
  }
  setInterval(() => {
    if (performance.now() - lastFrame > 4000 && lastFrame > 0) setState('offline');
  }, 1000);
}

function play(video: HTMLVideoElement, url: string, setState: (s: State) => void): void {
  const Hls = hlsOf();
  if (Hls?.isSupported()) {
    const start = () => {
      // Fragments are one keyframe interval long: stay two behind the live edge.
      const hls = new Hls({ liveSyncDurationCount: 2, liveMaxLatencyDurationCount: 5, maxLiveSyncPlaybackRate: 1.5, backBufferLength: 10 });
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (!data.fatal) return;
        setState('offline');
        hls.destroy();
        setTimeout(start, 2000);
      });
      hls.loadSource(url);
      hls.attachMedia(video);
      video.play().catch(() => {});
    };
    return start();
  }
  // iPhones without MediaSource play HLS natively.
  const load = () => {
    video.src = url;
    video.play().catch(() => {});
  };
  video.addEventListener('error', () => (setState('offline'), setTimeout(load, 2000)));
  load();
}

async function main(): Promise<void> {
  if (!config.cameras.length) document.getElementById('empty')!.textContent = 'No camera relays to this wall yet.';
  const tiles = config.cameras.map((c) => ({ camera: c, ...tile(c) }));
  if ('MediaSource' in window || 'ManagedMediaSource' in window) await loadScript(config.hlsLibrary).catch(() => {});
  for (const t of tiles) {
    watchFrames(t.video, t.setState);
    play(t.video, t.camera.hls, t.setState);
  }
}

main().catch((e) => (document.getElementById('empty')!.textContent = String(e)));
