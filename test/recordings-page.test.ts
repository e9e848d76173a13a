// The recordings page (templates/camfleet-recordings.html.hbs) as render writes it, in Debian's
// chromium: served by a real nginx with the viewer server's /recordings/ location (its folder listed
// as JSON), it lists an hour of keyframe-aligned MPEG-TS segments and plays them as an HLS VOD
// playlist it makes itself, frames counted. The lab plays a Pi's own (recording.e2e.test.ts).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { browserUnavailable, countFrames, launchBrowser, openPhonePage } from '../lab/browser.ts';
import { freePort } from '../lab/processes.ts';
import { paths } from '../provision/core/render/paths.ts';
import { render } from './support/fleet.ts';
import { root } from './support/cli.ts';

const why = browserUnavailable();

describe.skipIf(!!why)('the recordings page in chromium', () => {
  let nginx: ChildProcess;
  let browser: Browser;
  let base = '';

  beforeAll(async () => {
    const work = mkdtempSync(join(tmpdir(), 'camfleet-recpage-'));
    const www = join(work, 'www');
    const recordings = join(work, 'recordings');
    mkdirSync(www);
    mkdirSync(recordings);
    // The page as render writes it for a Pi recording 2 s segments.
    const [state] = render('hosts:\n  pi1: { address: 10.0.0.1, recording: { enabled: true, segment: 2 } }\n');
    writeFileSync(join(www, 'recordings.html'), state!.files.find((f) => f.path === paths.recordingsPage)!.content);
    copyFileSync(join(root, 'node_modules/hls.js/dist/hls.min.js'), join(www, 'hls.min.js'));
    // Four segments cut at keyframes as the recorder cuts them (1 s GOP at 15 fps), named by their start.
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=15', '-t', '8', '-c:v', 'libx264', '-g', '15', '-pix_fmt', 'yuv420p',
      '-f', 'segment', '-segment_format', 'mpegts', '-segment_time', '2', '-reset_timestamps', '1', join(recordings, 'seg%d.ts')]);
    const start = Date.now() - 60_000;
    for (let i = 0; i < 4; i++) {
      const name = new Date(start + i * 2000).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
      renameSync(join(recordings, `seg${i}.ts`), join(recordings, `${name}.ts`));
    }
    expect(readdirSync(recordings)).toHaveLength(4);
    const port = await freePort();
    // The viewer server's locations for the page and the segments, as templates/nginx.conf.hbs has them.
    const conf = join(work, 'nginx.conf');
    writeFileSync(conf, `daemon off; pid ${work}/nginx.pid; error_log stderr; events {}
http { access_log off; include /etc/nginx/mime.types; client_body_temp_path ${work}; proxy_temp_path ${work}; fastcgi_temp_path ${work}; uwsgi_temp_path ${work}; scgi_temp_path ${work};
  server { listen 127.0.0.1:${port}; root ${www};
    location = /recordings.html { } location = /hls.min.js { }
    location /recordings/ { alias ${recordings}/; autoindex on; autoindex_format json; types { video/mp2t ts; } }
  } }
`);
    nginx = spawn('nginx', ['-c', conf, '-p', work], { stdio: 'inherit' });
    base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 50; i++) {
      try {
        if ((await fetch(`${base}/recordings/`)).ok) break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    nginx?.kill('SIGQUIT');
  });

  it('lists the hour (the newest segment, still open, left out) and plays it: every closed segment, frames counted', async () => {
    const page = await openPhonePage(browser, `${base}/recordings.html#latest`);
    const played = await countFrames(page, 3000);
    expect(played.frames).toBeGreaterThanOrEqual(30); // 15 fps: most of three seconds' frames
    expect({ width: played.width, height: played.height }).toEqual({ width: 640, height: 360 });
    const state = (await page.evaluate('window.camfleetRecordings')) as { segments: number; hours: number; playing: string };
    expect(state.segments).toBe(3);
    expect(state.hours).toBeGreaterThanOrEqual(1);
    // Played through: across the segments' discontinuities to the end of the playlist (6 s).
    await page.waitForFunction('document.querySelector("video").ended || document.querySelector("video").currentTime > 5.5', undefined, { timeout: 15_000 });
  });
});
