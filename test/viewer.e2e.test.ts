// The viewer page on a lab Pi, watched by a real browser: provision serves the page, nginx-rtmp
// writes HLS, and Debian's chromium on this machine opens http://<pi>/ over the lab network and
// plays it. Frames are counted in the page; the screenshot is judged by its pixels, never against
// a stored picture.
import { metricsPaths } from '../provision/core/parts/metrics.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { containerDown, containerUp } from '../lab/container.ts';
import type { LabHost } from '../lab/state.ts';
import { paths } from '../provision/core/render/paths.ts';
import type { StreamerConfig } from '../contract/streamer-config.ts';
import { browserUnavailable, countFrames, launchBrowser, openPhonePage, screenshotVideoArea, withoutWebrtcOrHls } from '../lab/browser.ts';
import { camfleet } from './support/cli.ts';
import { expectMostFramesShown } from './support/frames.ts';
import { labUnavailable, mainPid, onHost, streamerFfmpeg, writeInventory, type Edit } from './support/lab.ts';

interface Report {
  hosts: { outcome: string; plan: { changes: number; steps: { kind: string; path?: string; unit?: string }[] } | null }[];
}
const report = (stdout: string): Report => JSON.parse(stdout) as Report;
const stepsOf = (stdout: string) => (report(stdout).hosts[0]?.plan?.steps ?? []).map((s) => `${s.kind} ${s.path ?? s.unit ?? ''}`.trim());

const why = labUnavailable() ?? browserUnavailable();
if (why) console.warn(`skipping viewer end-to-end tests: ${why}`);

describe.skipIf(!!why)('the viewer page on a lab Pi, in a real browser', () => {
  let pi: LabHost;
  let browser: Browser;
  const provision = async (edit: Edit, ...args: string[]) => {
    const inventory = writeInventory([pi], edit);
    return camfleet(['provision', '--inventory', inventory, '--host', pi.name, '--json', ...args]);
  };
  const viewer = (settings: object): Edit => (doc) => {
    doc.hosts.lab1 = { ...doc.hosts.lab1, viewer: settings };
  };
  const waitFor = async (ok: () => Promise<boolean>, ms: number) => {
    for (const deadline = Date.now() + ms; !(await ok()); await new Promise((r) => setTimeout(r, 500)))
      if (Date.now() > deadline) throw new Error(`not so after ${ms} ms`);
  };
  /** camfleet_viewers{path="hls"} as the Pi's /metrics says it, read on the Pi (open to 127.0.0.1 by default). */
  const hlsViewers = (): number => {
    const get = `exec 3<>/dev/tcp/127.0.0.1/8080; printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3`;
    const text = onHost(pi, `bash -c ${JSON.stringify(get)}`);
    const m = /^camfleet_viewers\{path="hls"\} (\d+)$/m.exec(text);
    if (!m) throw new Error(`no HLS viewer count in the Pi's metrics:\n${text.slice(0, 3000)}`);
    return Number(m[1]);
  };
  /** HTTP status of a path on the Pi, fetched from this machine over the lab network. */
  const status = async (port: number, path: string) => (await fetch(`http://${pi.address}:${port}${path}`, { signal: AbortSignal.timeout(5000) })).status;

  beforeAll(async () => {
    [pi] = (await containerUp({ hosts: 1, layer: 'ready' })) as [LabHost];
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    if (!why) await containerDown();
  });

  it('a provisioned Pi serves its page on port 80 and the page plays the camera at once', async () => {
    const r = await provision(() => {});
    expect(r.stderr).not.toMatch(/fail|error/i);
    expect(r.code).toBe(0);
    expect(stepsOf(r.stdout)).toEqual(expect.arrayContaining([`write-file ${paths.viewerPage}`, `write-file ${paths.viewerApp}`, `write-file ${paths.viewerHlsLibrary}`]));

    const page = await openPhonePage(browser, `http://${pi.address}/`);
    expect(await page.title()).toBe('lab1 · camfleet');
    const first = await countFrames(page, 3000, 30_000);
    // WebRTC first: camfleet-webrtc (werift, on the Pi's own Node 18) forwards the streamer's
    // encode, copied, never re-encoded.
    expect(first).toMatchObject({ path: 'webrtc', state: 'live', width: 640, height: 360 });
    const marks = (await page.evaluate('window.camfleet.marks')) as Record<string, number>;
    console.log(`WebRTC: first frame ${marks['first-frame']} ms after the page started loading`, marks);
    // The lab camera makes 15 fps: most of them are shown.
    expectMostFramesShown(first, 15);
    // Frames keep arriving: a later window is as full as the first.
    await new Promise((r) => setTimeout(r, 2000));
    expectMostFramesShown(await countFrames(page, 3000), 15);
    // ffmpeg's test pattern: colour bars and moving shapes, hundreds of colours; a black or grey
    // box would have one or two.
    // Kept outside the repository, for a person to look at.
    const shotPath = join(mkdtempSync(join(tmpdir(), 'camfleet-viewer-')), 'phone.png');
    const shot = await screenshotVideoArea(page, shotPath);
    console.log(`viewer page at 390x844: ${shotPath}`);
    expect(shot.colours).toBeGreaterThan(50);
    expect(shot.meanLuma).toBeGreaterThan(30);
    // The QR code of its own URL, for the next viewer.
    expect(await page.locator('#qr svg').count()).toBe(1);
    expect(await page.locator('#url').textContent()).toBe(`http://${pi.address}/`);
    // status: the page's URL and this browser among the WebRTC viewers.
    const st = await camfleet(['status', '--inventory', writeInventory([pi]), '--host', pi.name, '--json']);
    expect(JSON.parse(st.stdout)[0]).toMatchObject({ live: true, page: `http://${pi.address}/`, webrtc: 'active', browsers: 1 });
    await page.close();
  });

  it('forced onto HLS (?hls), the same page plays through hls.js, and the Pi counts it among its HLS viewers for the window', async () => {
    const page = await openPhonePage(browser, `http://${pi.address}/?hls`);
    const played = await countFrames(page, 3000, 30_000);
    expect(played).toMatchObject({ path: 'hls', state: 'live', width: 640, height: 360 });
    expectMostFramesShown(played, 15);
    expect((await screenshotVideoArea(page)).colours).toBeGreaterThan(50);
    // The QR code passes on the page itself: the next phone may play WebRTC.
    expect(await page.locator('#url').textContent()).toBe(`http://${pi.address}/`);
    // nginx's HLS requests reach the streamer: this one browser (one address, one User-Agent) is one viewer.
    expect(hlsViewers()).toBe(1);
    // status shows the same count, in its HLS column.
    const table = (await camfleet(['status', '--inventory', writeInventory([pi]), '--host', pi.name])).stdout.split('\n');
    const column = table[0]!.indexOf(' HLS ') + 1;
    expect(table[1]!.slice(column).split(/ +/)[0]).toBe('1');
    const { windowMs } = (JSON.parse(onHost(pi, `sudo cat ${paths.streamerConfig}`)) as StreamerConfig).metrics!.hlsLog!;
    await page.close();
    const closed = Date.now();
    // Counted until the window after its last request (at most a fragment or a playlist reload
    // before the close), then no more.
    await waitFor(async () => hlsViewers() === 0, windowMs + 3000);
    const gone = Date.now() - closed;
    console.log(`HLS viewer forgotten ${gone} ms after the page closed (window ${windowMs} ms)`);
    expect(gone).toBeGreaterThan(windowMs - 3000);
  });

  it('a browser that can play neither WebRTC nor HLS is told so and shown the RTMP URL for VLC', async () => {
    const page = await openPhonePage(browser, `http://${pi.address}/`, { initScript: withoutWebrtcOrHls });
    const message = page.locator('#message');
    await message.getByText('can play neither').waitFor({ timeout: 10_000 });
    expect(await message.locator('code').textContent()).toBe(`rtmp://${pi.address}:1935/live/cam`);
    expect(await page.locator('video').isHidden()).toBe(true);
    expect(await page.evaluate('window.camfleet.path')).toBe('none');
    await page.close();
  });

  it('a second run reports 0 changes and restarts nothing', async () => {
    const nginx = mainPid(pi, 'nginx');
    const webrtc = mainPid(pi, 'camfleet-webrtc');
    const r = await provision(() => {});
    expect(r.code).toBe(0);
    expect(report(r.stdout).hosts[0]?.plan?.changes).toBe(0);
    expect(mainPid(pi, 'nginx')).toBe(nginx);
    expect(mainPid(pi, 'camfleet-webrtc')).toBe(webrtc);
  });

  it('the play allow-list covers the page and every media path', async () => {
    // This machine reaches the lab Pi from 10.213.N.1: allow only the Pi itself.
    const r = await provision((doc) => {
      doc.hosts.lab1 = { ...doc.hosts.lab1, access: { play: ['127.0.0.1'] } };
    });
    expect(r.code).toBe(0);
    for (const path of ['/', '/index.html', '/app.js', '/hls.min.js', '/hls/cam.m3u8', '/whep']) expect([path, await status(80, path)]).toEqual([path, 403]);
    // ... while the Pi itself still gets the playlist nginx-rtmp writes.
    const local = `exec 3<>/dev/tcp/127.0.0.1/80; printf 'GET /hls/cam.m3u8 HTTP/1.0\\r\\n\\r\\n' >&3; head -1 <&3`;
    expect(onHost(pi, `bash -c ${JSON.stringify(local)}`)).toMatch(/^HTTP\/1\.1 200/);
  });

  it('a viewer port already taken (the statistics port) is refused at its line, exit 2, and nothing on the Pi changes', async () => {
    const before = onHost(pi, `sudo sha256sum ${paths.nginxConf} ${paths.viewerPage}`);
    const r = await provision(viewer({ port: 8080 }));
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/inventory\.yaml:\d+:\d+ hosts\.lab1\.viewer\.port: port 8080 is already the statistics port \(stream\.statPort, built-in default\)/);
    expect(onHost(pi, `sudo sha256sum ${paths.nginxConf} ${paths.viewerPage}`)).toBe(before);
  });

  it('a changed port converges in one run: the page moves, the old port closes, a second run changes nothing', async () => {
    const moved = await provision(viewer({ port: 8000 }));
    expect(moved.code).toBe(0);
    expect(stepsOf(moved.stdout)).toEqual([`lock ${paths.runLock}`, `write-file ${paths.nginxConf}`, `write-file ${metricsPaths.version}`, 'commit-files', 'restart nginx.service', 'clear-pending', 'verify', 'health-gate']);
    expect(await status(8000, '/')).toBe(200);
    await expect(status(80, '/')).rejects.toThrow();
    const page = await openPhonePage(browser, `http://${pi.address}:8000/?hls`);
    expectMostFramesShown(await countFrames(page, 2000, 30_000), 15);
    await page.close();
    const again = await provision(viewer({ port: 8000 }));
    expect(report(again.stdout).hosts[0]?.plan?.changes).toBe(0);
  });

  it('with the WebRTC engine down, status names its unit and the page falls back to HLS, the encode going on undisturbed; a run starts it again', async () => {
    // The encode feeds camfleet-webrtc and nginx-rtmp at once: WebRTC gone must not touch it.
    const encoder = () => onHost(pi, `pgrep ${streamerFfmpeg}`).trim();
    const encoding = encoder();
    onHost(pi, 'sudo systemctl stop camfleet-webrtc');
    const st = await camfleet(['status', '--inventory', writeInventory([pi], viewer({ port: 8000 })), '--host', pi.name]);
    expect(st.stdout).toMatch(/camfleet-webrtc\.service is inactive: browsers get HLS/);
    const page = await openPhonePage(browser, `http://${pi.address}:8000/`);
    expect(await countFrames(page, 2000, 30_000)).toMatchObject({ path: 'hls', state: 'live' });
    await page.close();
    expect(encoder()).toBe(encoding);
    const r = await provision(viewer({ port: 8000 }));
    expect(stepsOf(r.stdout)).toEqual([`lock ${paths.runLock}`, 'start camfleet-webrtc.service', 'verify', 'health-gate']);
    expect(onHost(pi, 'systemctl is-active camfleet-webrtc').trim()).toBe('active');
  });

  /** The page opened once camfleet-webrtc reads the stream: it tries WebRTC for a few seconds, then settles on HLS. */
  const whenWebrtcReads = () =>
    waitFor(async () => {
      const res = await fetch(`http://${pi.address}:8000/whep/status`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
      return res?.ok === true && ((await res.json()) as { streamIdleMs: number }).streamIdleMs < 1000;
    }, 30_000);
  const hlsDirGone = () => onHost(pi, `test -e ${paths.hlsDir} && echo there || echo gone`).trim();

  it('a secret stream key never reaches camfleet-webrtc: a new key restarts the streamer alone, webrtc.json and its unit hold none, and WebRTC plays on', async () => {
    const key = 'lab-secret-key-7f3a9c';
    const secretKey: Edit = (doc) => {
      doc.hosts.lab1 = { ...doc.hosts.lab1, viewer: { port: 8000 }, stream: { key: { env: 'CAMFLEET_LAB_KEY' } } };
    };
    const webrtcPid = mainPid(pi, 'camfleet-webrtc');
    const r = await camfleet(['provision', '--inventory', writeInventory([pi], secretKey), '--host', pi.name, '--json', '--diff'], { env: { CAMFLEET_LAB_KEY: key } });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(key);
    // The streamer publishes under the new key; camfleet-webrtc takes its RTP, under no key.
    const steps = stepsOf(r.stdout);
    expect(steps).toEqual(expect.arrayContaining([`write-file ${paths.streamKey}`, 'restart camfleet-streamer.service']));
    expect(steps).not.toContain('restart camfleet-webrtc.service');
    expect(steps).not.toContain(`write-file ${paths.webrtcConfig}`);
    expect(mainPid(pi, 'camfleet-webrtc')).toBe(webrtcPid);
    expect(onHost(pi, `sudo cat ${paths.webrtcConfig} ${paths.webrtcUnit}`)).not.toMatch(new RegExp(`${key}|stream-key`));
    expect(onHost(pi, `sudo cat ${paths.streamKey}`)).toContain(key);
    await whenWebrtcReads();
    const page = await openPhonePage(browser, `http://${pi.address}:8000/`);
    expect(await countFrames(page, 2000, 30_000)).toMatchObject({ path: 'webrtc', state: 'live' });
    await page.close();
    expect(onHost(pi, 'sudo journalctl -u camfleet-webrtc -o cat --no-pager')).not.toContain(key);
    // Back to the lab's key for the tests below.
    expect((await provision(viewer({ port: 8000 }))).code).toBe(0);
    await waitFor(async () => (await status(8000, '/hls/cam.m3u8')) === 200, 20_000);
  });

  it('changed paths converge in one run each: HLS alone removes the WebRTC service, WebRTC alone the HLS fragments, both again converge', async () => {
    const hlsOnly = await provision(viewer({ port: 8000, paths: ['hls'] }));
    expect(hlsOnly.code).toBe(0);
    expect(stepsOf(hlsOnly.stdout).sort()).toEqual(
      [
        `write-file ${paths.nginxConf}`,
        `write-file ${paths.viewerPage}`,
        `write-file ${metricsPaths.version}`,
        'stop camfleet-webrtc.service',
        'disable camfleet-webrtc.service',
        ...[paths.webrtcUnit, paths.webrtcConfig, paths.webrtcService].map((p) => `remove-file ${p}`),
        'daemon-reload',
        'restart nginx.service',
        'commit-files',
        'clear-pending',
        'verify',
        'health-gate',
        `lock ${paths.runLock}`,
      ].sort(),
    );
    expect(onHost(pi, `ls ${paths.webrtcService} ${paths.webrtcConfig} ${paths.webrtcUnit} 2>/dev/null | wc -l`).trim()).toBe('0');
    expect(await status(8000, '/whep')).toBe(404);
    let page = await openPhonePage(browser, `http://${pi.address}:8000/`);
    expect(await countFrames(page, 2000, 30_000)).toMatchObject({ path: 'hls', state: 'live' });
    await page.close();
    expect(report((await provision(viewer({ port: 8000, paths: ['hls'] }))).stdout).hosts[0]?.plan?.changes).toBe(0);

    // WebRTC alone: the service is back, and nginx-rtmp's HLS output goes, folder and all, after
    // the restart that stops nginx writing it.
    expect(hlsDirGone()).toBe('there');
    const webrtcOnly = await provision(viewer({ port: 8000, paths: ['webrtc'] }));
    expect(webrtcOnly.code).toBe(0);
    const steps = stepsOf(webrtcOnly.stdout);
    // nginx restarted, not reloaded: its old worker would go on writing HLS for the connected stream.
    expect(steps.indexOf(`remove-dir ${paths.hlsDir}`)).toBeGreaterThan(steps.indexOf('restart nginx.service'));
    expect(hlsDirGone()).toBe('gone');
    expect(await status(8000, '/hls/cam.m3u8')).toBe(404);
    expect(onHost(pi, 'systemctl is-active camfleet-webrtc').trim()).toBe('active');
    await whenWebrtcReads();
    page = await openPhonePage(browser, `http://${pi.address}:8000/`);
    expect(await countFrames(page, 2000, 30_000)).toMatchObject({ path: 'webrtc', state: 'live' });
    await page.close();
    expect(report((await provision(viewer({ port: 8000, paths: ['webrtc'] }))).stdout).hosts[0]?.plan?.changes).toBe(0);

    // Both again converges in one run, and HLS is written again within seconds: nginx is
    // restarted, so the camera's stream reconnects to a worker with HLS on.
    const both = await provision(viewer({ port: 8000 }));
    expect(both.code).toBe(0);
    await waitFor(async () => (await status(8000, '/hls/cam.m3u8')) === 200, 20_000);
    expect(report((await provision(viewer({ port: 8000 }))).stdout).hosts[0]?.plan?.changes).toBe(0);
  });

  it('turning the viewer off removes everything it added; RTMP keeps playing', async () => {
    const off = await provision(viewer({ enabled: false }));
    expect(off.code).toBe(0);
    expect(stepsOf(off.stdout).sort()).toEqual(
      [
        `write-file ${paths.nginxConf}`,
        `write-file ${metricsPaths.version}`,
        'stop camfleet-webrtc.service',
        'disable camfleet-webrtc.service',
        ...[paths.viewerPage, paths.viewerApp, paths.viewerHlsLibrary, paths.webrtcUnit, paths.webrtcConfig, paths.webrtcService].map((p) => `remove-file ${p}`),
        'daemon-reload',
        'restart nginx.service',
        // The folders too: the HLS fragments with theirs, the page's once its files are gone.
        `remove-dir ${paths.hlsDir}`,
        `remove-dir ${paths.viewerRoot}`,
        'commit-files',
        'clear-pending',
        'verify',
        'health-gate',
        `lock ${paths.runLock}`,
      ].sort(),
    );
    expect(hlsDirGone()).toBe('gone');
    expect(onHost(pi, `test -e ${paths.viewerRoot} && echo there || echo gone`).trim()).toBe('gone');
    expect(onHost(pi, `ls -A ${paths.viewerRoot} 2>/dev/null; ls ${paths.webrtcService} ${paths.webrtcConfig} ${paths.webrtcUnit} 2>/dev/null; grep -c 'hls\\|whep' ${paths.nginxConf} || true`).trim()).toBe('0');
    expect(onHost(pi, 'systemctl is-active camfleet-webrtc || true').trim()).not.toBe('active');
    await expect(status(8000, '/')).rejects.toThrow();
    expect(onHost(pi, 'ss -Hltn sport = :1935')).toContain(':1935');
    const again = await provision(viewer({ enabled: false }));
    expect(report(again.stdout).hosts[0]?.plan?.changes).toBe(0);
  });
});
