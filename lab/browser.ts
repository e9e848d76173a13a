// A real browser for viewer tests and benchmarks: Debian's chromium, headless, driven through
// playwright-core (the protocol client only; it downloads no browser). Everything a test asserts
// about the picture is measured inside the page: frames counted with requestVideoFrameCallback,
// and the page's own screenshot decoded back in the browser to look at its pixels.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

/** Why a browser test cannot run here, or undefined when it can. */
export function browserUnavailable(): string | undefined {
  return existsSync(chromiumPath) ? undefined : 'chromium is not installed (bash .ci/run installs it)';
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // Muted autoplay is allowed anyway; this keeps a headless run from depending on it.
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/**
 * A page at phone size (an iPhone 14's viewport), as a viewer on the hotspot would hold it.
 * `initScript` runs before the page's own scripts: to take away what an older browser lacks.
 */
export async function openPhonePage(browser: Browser, url: string, o: { initScript?: string } = {}): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
  if (o.initScript) await page.addInitScript(o.initScript);
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 15_000 });
  return page;
}

export interface Playback {
  /** Frames presented during the window. */
  frames: number;
  /**
   * The stream time from the first of them to the last (a gap between two counted a second at
   * most): what the stream carried meanwhile, which a live source on a busy machine makes slower
   * than real time.
   */
  streamSeconds: number;
  /** ms from the start of the count to the first presented frame. */
  firstFrameMs: number;
  width: number;
  height: number;
  /** What the page says of itself (window.camfleet). */
  path: string;
  state: string;
}

/** One video's count: Playback without what the page says of itself. */
export type VideoPlayback = Omit<Playback, 'path' | 'state'> & { /** its data-camera attribute, if any (the wall's tiles) */ camera: string };

// In-page code is passed as source text: a function handed to page.evaluate would carry the
// helpers tsx's transform adds (__name), which do not exist in the page.
// Every video matching the selector: once each has presented a frame, frames are counted for `ms`
// (the last to start counts from its first frame); nothing within `waitMs` rejects.
const countFramesInPage = `({ selector, ms, waitMs }) => new Promise((resolve, reject) => {
  const videos = [...document.querySelectorAll(selector)];
  if (!videos.length) return reject(new Error('no video matches ' + selector));
  const t0 = performance.now();
  const counts = videos.map(() => ({ first: -1, frames: 0, span: 0, prev: undefined }));
  let counting = false;
  // A WebRTC frame's time is its RTP timestamp (90 kHz, 32 bits that may wrap); a file's or HLS's, its media time.
  const between = (a, b) => (a.rtpTimestamp !== undefined ? ((b.rtpTimestamp - a.rtpTimestamp) >>> 0) / 90000 : b.mediaTime - a.mediaTime);
  const done = () => resolve({ page: window.camfleet || {}, videos: videos.map((video, i) => ({
    camera: video.dataset.camera || '',
    frames: counts[i].frames,
    streamSeconds: Math.round(counts[i].span * 1000) / 1000,
    firstFrameMs: Math.round(counts[i].first - t0),
    width: video.videoWidth,
    height: video.videoHeight,
  })) });
  videos.forEach((video, i) => {
    const c = counts[i];
    const onFrame = (now, meta) => {
      if (c.first < 0) {
        c.first = now;
        if (counts.every((x) => x.first >= 0)) { counting = true; setTimeout(done, ms); }
      }
      if (counting) {
        // A gap counts a second at most: hls.js skipping ahead to catch up with a live stream skips frames no player shows.
        if (c.prev) c.span += Math.min(Math.max(between(c.prev, meta), 0), 1);
        c.prev = meta;
        c.frames++;
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  });
  setTimeout(() => !counting && reject(new Error('not every video (' + selector + ') showed a frame within ' + waitMs + ' ms: ' +
    JSON.stringify(counts.map((c) => c.first >= 0)) + ' (page says ' + JSON.stringify(window.camfleet) + ')')), waitMs);
})`;

const pixelsInPage = `async ({ b64, box }) => {
  const bitmap = await createImageBitmap(await (await fetch('data:image/png;base64,' + b64)).blob());
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const { data } = ctx.getImageData(Math.round(box.x), Math.round(box.y), Math.round(box.width), Math.round(box.height));
  const colours = new Set();
  let luma = 0;
  for (let i = 0; i < data.length; i += 4) {
    colours.add(((data[i] >> 3) << 10) | ((data[i + 1] >> 3) << 5) | (data[i + 2] >> 3));
    luma += 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
  }
  return { colours: colours.size, meanLuma: Math.round(luma / (data.length / 4)) };
}`;

function inPage<A, R>(page: Page, source: string, arg: A): Promise<R> {
  return page.evaluate(`(${source})(${JSON.stringify(arg)})`) as Promise<R>;
}

/** Count frames the page's video presents for `ms`, waiting up to `waitMs` for the first. */
export async function countFrames(page: Page, ms: number, waitMs = 15_000): Promise<Playback> {
  const counted = await countInPage(page, 'video', ms, waitMs);
  const { camera: _, ...played } = counted.videos[0]!;
  return { ...played, path: counted.page.path ?? '', state: counted.page.state ?? '' };
}

/** The same for every video matching `selector` at once (the wall's tiles), counted over the same `ms`. */
export async function countVideoFrames(page: Page, selector: string, ms: number, waitMs = 15_000): Promise<VideoPlayback[]> {
  return (await countInPage(page, selector, ms, waitMs)).videos;
}

/** The in-page count, with what the page said of itself (window.camfleet) as it ended. */
function countInPage(page: Page, selector: string, ms: number, waitMs: number): Promise<{ page: { path?: string; state?: string }; videos: VideoPlayback[] }> {
  return inPage(page, countFramesInPage, { selector, ms, waitMs });
}

/**
 * A screenshot of the page, decoded in the browser: how many distinct colours the video's area
 * shows and how bright it is. A black or frozen-grey box has one or two colours.
 */
export async function screenshotVideoArea(page: Page, path?: string): Promise<{ colours: number; meanLuma: number }> {
  const png = await page.screenshot({ path });
  const box = await page.locator('video').boundingBox();
  if (!box) throw new Error('the video element is not visible');
  return inPage(page, pixelsInPage, { b64: png.toString('base64'), box });
}

/**
 * An init script that makes chromium a browser with neither of the page's paths: no WebRTC
 * (RTCPeerConnection), no MediaSource for hls.js, and no native HLS either (Debian's chromium
 * answers "maybe" for an HLS playlist, an iPhone's way in).
 */
export const withoutWebrtcOrHls = `
for (const name of ['RTCPeerConnection', 'webkitRTCPeerConnection', 'MediaSource', 'WebKitMediaSource', 'ManagedMediaSource']) delete window[name];
const canPlayType = HTMLMediaElement.prototype.canPlayType;
HTMLMediaElement.prototype.canPlayType = function (type) { return /mpegurl/i.test(type) ? '' : canPlayType.call(this, type); };
`;
