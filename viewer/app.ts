// The viewer page's script: play the Pi's camera at once (muted, inline), say whether it is live,
// and show a QR code of this page. Everything it loads comes from the Pi itself: a phone on the
// hotspot has no internet. Bundled by viewer/build.ts into app.js.
import { renderSVG } from 'uqr';
import { publishUrl } from '../contract/streamer-config.ts';
import type { PageConfig } from '../contract/pages.ts';
import { loadHlsJs, play, playHls, playsHlsNatively, watchFrames } from './player.ts';

declare global {
  interface Window {
    /** For people and tests: which path plays and what the page thinks of the stream. */
    camfleet?: { path: string; state: string; marks: Record<string, number> };
  }
}

const config = JSON.parse(document.getElementById('camfleet-config')!.textContent!) as PageConfig;
const video = document.getElementById('video') as HTMLVideoElement;
const stateBadge = document.getElementById('state')!;
const message = document.getElementById('message')!;
const status = (window.camfleet = { path: 'none', state: 'connecting', marks: {} as Record<string, number> });
/** ms since the page started loading, per step: time to first frame, and where it went. */
const mark = (name: string) => (status.marks[name] = Math.round(performance.now()));

mark('script');

/** What VLC or ffplay opens: the Pi as this phone reached it, not the address the operator uses. */
const rtmpUrl = publishUrl(`rtmp://${location.hostname}:${config.rtmp.port}/${config.rtmp.application}`, config.rtmp.key);

/** What a person sees while there is no picture, so a black box never goes unexplained. */
const waiting = `Waiting for ${config.name}'s camera. This page keeps trying and plays as soon as the camera sends.`;
let cannotPlay = false;

function setState(state: 'connecting' | 'live' | 'offline'): void {
  status.state = state;
  stateBadge.textContent = state === 'live' ? 'LIVE' : state;
  stateBadge.className = `state ${state}`;
  if (!cannotPlay) message.textContent = state === 'offline' ? waiting : '';
}

/** Resolves once ICE gathering is done (host candidates only on a hotspot: at once), or after a cap. */
function gathered(pc: RTCPeerConnection, capMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, capMs);
  });
}

/** The first frame shown, or false after `ms`. */
function firstFrame(ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const v = video as HTMLVideoElement & { requestVideoFrameCallback?: unknown };
    if (typeof v.requestVideoFrameCallback === 'function') video.requestVideoFrameCallback(() => resolve(true));
    else video.addEventListener('playing', () => resolve(true), { once: true });
    setTimeout(() => resolve(false), ms);
  });
}

/** Whether video is arriving over `pc`, decoded or not: a slow decoder is no reason to give up on it. */
async function receiving(pc: RTCPeerConnection): Promise<boolean> {
  const stats = await pc.getStats();
  for (const s of stats.values()) if (s.type === 'inbound-rtp' && s.kind === 'video' && (s.bytesReceived ?? 0) > 0) return true;
  return false;
}

/**
 * WebRTC through WHEP: a few hundred milliseconds behind the camera. False when it cannot start
 * (no RTCPeerConnection, the Pi refuses, no video within a few seconds): the page then tries HLS.
 */
async function playWebrtc(): Promise<boolean> {
  if (typeof RTCPeerConnection !== 'function') return false;
  const pc = new RTCPeerConnection();
  let session: string | null = null;
  const stop = () => {
    pc.close();
    if (session) void fetch(session, { method: 'DELETE', keepalive: true }).catch(() => {});
  };
  try {
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addEventListener('track', (e) => {
      video.srcObject = e.streams[0] ?? new MediaStream([e.track]);
      play(video);
    });
    await pc.setLocalDescription(await pc.createOffer());
    mark('webrtc-offer');
    await gathered(pc, 1000);
    mark('webrtc-gathered');
    const res = await fetch(config.whep, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription!.sdp });
    if (res.status !== 201) throw new Error(`WHEP answered ${res.status}`);
    session = new URL(res.headers.get('Location') ?? '', location.href).href;
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    mark('webrtc-answered');
    pc.addEventListener('connectionstatechange', () => pc.connectionState === 'connected' && mark('webrtc-connected'));
    // No picture after 4 s: HLS, unless the video is arriving and only slow to show (a busy phone).
    if (!(await firstFrame(4000)) && !((await receiving(pc)) && (await firstFrame(10_000)))) throw new Error('no frame');
  } catch {
    stop();
    video.srcObject = null;
    return false;
  }
  status.path = 'webrtc';
  addEventListener('pagehide', stop);
  // A connection lost later (the Pi restarted, Wi-Fi dropped) starts over, WebRTC first again.
  pc.addEventListener('connectionstatechange', () => {
    if (pc.connectionState !== 'failed' && pc.connectionState !== 'disconnected') return;
    stop();
    setState('offline');
    setTimeout(() => void choosePath(), 2000);
  });
  return true;
}

function unsupported(): void {
  status.path = 'none';
  setState('offline');
  cannotPlay = true;
  // Not the camera's fault: the badge says what is wrong here.
  stateBadge.textContent = 'cannot play';
  video.hidden = true;
  message.replaceChildren('This browser can play neither WebRTC nor HLS. Try another browser (Chrome, Firefox, Safari), or open this address in VLC or ffplay: ');
  const code = document.createElement('code');
  code.textContent = rtmpUrl;
  message.append(code);
}

async function choosePath(): Promise<void> {
  const forced = new URLSearchParams(location.search);
  const paths = config.paths.filter((p) => !forced.has('hls') || p === 'hls');
  for (const path of paths) {
    if (path === 'webrtc') {
      if (await playWebrtc()) return;
      continue;
    }
    // hls.js wherever the browser can feed video through MediaSource (it keeps the player two
    // fragments from the live edge); iPhones without MediaSource play HLS natively, their only way.
    const Hls = await loadHlsJs(config.hlsLibrary);
    if (Hls || playsHlsNatively(video)) {
      status.path = 'hls';
      return playHls(video, config.hls, Hls, () => setState('offline'));
    }
  }
  unsupported();
}

/** A URL that wraps on a phone after its slashes, not in the middle of a word. */
function showUrl(element: HTMLElement, url: string): void {
  // No lookbehind in the split: iOS 15's Safari has none.
  const parts = url.split('/');
  element.replaceChildren(...parts.flatMap((part, i) => (i < parts.length - 1 ? [`${part}/`, document.createElement('wbr')] : [part])));
}

function showQr(): void {
  // The page itself, without ?hls: the next phone may well play WebRTC.
  const url = location.origin + location.pathname;
  document.getElementById('qr')!.innerHTML = renderSVG(url, { border: 2 });
  showUrl(document.getElementById('url')!, url);
  showUrl(document.getElementById('rtmp')!, rtmpUrl);
}

watchFrames(
  video,
  () => {
    if (!status.marks['first-frame']) mark('first-frame');
    if (status.state !== 'live') setState('live');
  },
  () => setState('offline'),
);
// The stream first: the QR code can be drawn while WebRTC connects.
choosePath().catch(unsupported);
showQr();
// A Pi that records serves its recordings page beside this one: linked only when it is there.
fetch('recordings.html', { method: 'HEAD', cache: 'no-store' })
  .then((r) => r.ok && (document.getElementById('recordings')!.hidden = false))
  .catch(() => {});
