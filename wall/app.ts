// The fleet wall's script: a tile per camera, each playing the camera's HLS at once (muted,
// inline) with its name and whether frames are arriving. Bundled by wall/build.ts into wall.js;
// everything it loads comes from the server that served the page.
import { loadHlsJs, playHls, watchFrames } from '../viewer/player.ts';
import type { WallCamera, WallConfig } from '../contract/pages.ts';

type State = 'connecting' | 'live' | 'offline';

const config = JSON.parse(document.getElementById('camfleet-wall')!.textContent!) as WallConfig;
const states: Record<string, State> = {};
// For people and tests: each camera's state as the wall sees it.
(window as unknown as { camfleetWall: Record<string, State> }).camfleetWall = states;
const summary = document.getElementById('summary')!;

function showSummary(): void {
  const live = Object.values(states).filter((s) => s === 'live').length;
  summary.textContent = `${live} of ${config.cameras.length} live`;
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
  caption.append(name);
  if (camera.recordings) {
    const recordings = Object.assign(document.createElement('a'), { href: camera.recordings, textContent: 'recordings', className: 'recordings' });
    caption.append(recordings);
  }
  caption.append(badge);
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

async function main(): Promise<void> {
  if (!config.cameras.length) document.getElementById('empty')!.textContent = 'No camera relays to this wall yet.';
  const tiles = config.cameras.map((c) => ({ camera: c, ...tile(c) }));
  const Hls = await loadHlsJs(config.hlsLibrary);
  for (const t of tiles) {
    const offline = () => t.setState('offline');
    watchFrames(t.video, () => t.setState('live'), offline);
    playHls(t.video, t.camera.hls, Hls, offline);
  }
}

main().catch((e) => (document.getElementById('empty')!.textContent = String(e)));
