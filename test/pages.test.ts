// The two browser pages, the viewer page and the fleet wall, built as provisioning builds them
// (shared head, shared player), played by Debian's chromium from a real nginx-rtmp writing HLS on
// loopback, as a Pi's nginx does. No lab Pi: the lab e2e tests (viewer, origin) cover the Pi's
// side; this covers the pages wherever chromium is installed.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, countFrames, launchBrowser, openPhonePage } from '../lab/browser.ts';
import { fillPage } from '../provision/core/render/origin.ts';
import { buildViewerAssets } from '../viewer/build.ts';
import type { PageConfig } from '../contract/pages.ts';
import { buildWallAssets } from '../wall/build.ts';
import type { WallConfig } from '../contract/pages.ts';
import { startNginxRtmp, type NginxRtmp } from './support/nginx-rtmp.ts';

const why = browserUnavailable();
if (why) console.warn(`skipping the browser pages test: ${why}`);

describe.skipIf(!!why)('the viewer page and the wall in chromium, playing HLS from nginx-rtmp on loopback', () => {
  let nginx: NginxRtmp;
  let browser: Browser;
  let camera: ChildProcess | undefined;
  let site: string;

  beforeAll(async () => {
    nginx = await startNginxRtmp({ hls: true });
    site = `http://127.0.0.1:${nginx.statPort}`;
    // A camera stand-in at 640x360@15, a keyframe a second as the streamer sends.
    camera = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=15',
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', '15', '-pix_fmt', 'yuv420p', '-f', 'flv', nginx.url('cam')], { stdio: 'ignore' });
    const [viewer, wall] = await Promise.all([buildViewerAssets(), buildWallAssets()]);
    const page: PageConfig = { name: 'cam1', paths: ['hls'], whep: '/whep', hls: '/hls/cam.m3u8', hlsLibrary: '/hls.min.js', rtmp: { port: nginx.port, application: 'live', key: 'cam' } };
    const wallConfig: WallConfig = { title: 'test wall', cameras: [{ name: 'cam1', hls: '/hls/cam.m3u8', page: '/index.html' }], hlsLibrary: '/hls.min.js' };
    await Promise.all([
      writeFile(join(nginx.www, 'index.html'), fillPage(viewer.page, 'cam1 · camfleet', page)),
      writeFile(join(nginx.www, 'app.js'), viewer.app),
      writeFile(join(nginx.www, 'hls.min.js'), viewer.hlsLibrary),
      writeFile(join(nginx.www, 'wall.html'), fillPage(wall.page, wallConfig.title, wallConfig)),
      writeFile(join(nginx.www, 'wall.js'), wall.app),
    ]);
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    camera?.kill('SIGKILL');
    await browser?.close();
    await nginx?.stop();
  });

  it('both pages carry the shared head once, in place of its marker', async () => {
    for (const path of ['/index.html', '/wall.html']) {
      const html = await (await fetch(site + path)).text();
      expect(html).not.toContain('camfleet:head');
      expect(html.match(/<meta name="viewport"/g)).toHaveLength(1);
      expect(html).toContain('.state.live { background: #c62828; }');
    }
  });

  it('the viewer page plays the stream through hls.js and says LIVE', async () => {
    const page = await openPhonePage(browser, `${site}/`);
    try {
      const played = await countFrames(page, 2000, 30_000);
      expect(played).toMatchObject({ path: 'hls', state: 'live', width: 640, height: 360 });
      expect(played.frames).toBeGreaterThan(10);
      expect(await page.evaluate(`[document.getElementById('state').className, document.getElementById('state').textContent]`)).toEqual(['state live', 'LIVE']);
    } finally {
      await page.close();
    }
  });

  it('the wall plays its tile, counts it live, and shows it offline within seconds of the camera stopping', async () => {
    const page = await openPhonePage(browser, `${site}/wall.html`);
    try {
      const played = await countFrames(page, 2000, 30_000);
      expect([played.width, played.height]).toEqual([640, 360]);
      expect(played.frames).toBeGreaterThan(10);
      const wall = `[window.camfleetWall.cam1, document.getElementById('summary').textContent, document.querySelector('figcaption .state').className]`;
      expect(await page.evaluate(wall)).toEqual(['live', '1 of 1 live', 'state live']);
      camera?.kill('SIGKILL');
      await page.waitForFunction(`window.camfleetWall.cam1 === 'offline'`, undefined, { timeout: 15_000 });
      expect(await page.evaluate(wall)).toEqual(['offline', '0 of 1 live', 'state offline']);
    } finally {
      await page.close();
    }
  });
});
