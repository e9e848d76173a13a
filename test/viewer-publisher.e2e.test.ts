// A new stream size reaches WebRTC viewers without camfleet-webrtc being restarted: the restarted
// streamer's ffmpeg sends its RTP under a new SSRC, which camfleet-webrtc takes as a new stream
// (its SPS, from its first keyframe) for the pages watching and the pages to come. On a lab Pi,
// watched by Debian's chromium.
import { metricsPaths } from '../provision/core/parts/metrics.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { containerDown, containerUp } from '../lab/container.ts';
import type { LabHost } from '../lab/state.ts';
import { paths } from '../provision/core/render/paths.ts';
import { browserUnavailable, countFrames, launchBrowser, openPhonePage } from '../lab/browser.ts';
import { camfleet } from './support/cli.ts';
import { expectMostFramesShown } from './support/frames.ts';
import { labUnavailable, mainPid, onHost, writeInventory, type Edit } from './support/lab.ts';

interface Report {
  hosts: { plan: { steps: { kind: string; path?: string; unit?: string }[] } | null }[];
}
const stepsOf = (stdout: string) => ((JSON.parse(stdout) as Report).hosts[0]?.plan?.steps ?? []).map((s) => `${s.kind} ${s.path ?? s.unit ?? ''}`.trim());

const why = labUnavailable() ?? browserUnavailable();
if (why) console.warn(`skipping the new-publisher viewer test: ${why}`);

describe.skipIf(!!why)('a new publisher on a lab Pi, watched over WebRTC', () => {
  let pi: LabHost;
  let browser: Browser;
  const pages: Page[] = [];
  const provision = (edit: Edit = () => {}) => camfleet(['provision', '--inventory', writeInventory([pi], edit), '--host', pi.name, '--json']);
  const open = async () => {
    const page = await openPhonePage(browser, `http://${pi.address}/`);
    pages.push(page);
    return page;
  };
  /** The size the page shows once it shows `want` (or the last it showed, after `ms`). */
  const sizeOnceShowing = async (page: Page, want: string, ms: number) => {
    let seen = '';
    for (const deadline = Date.now() + ms; Date.now() < deadline && seen !== want; ) {
      const p = await countFrames(page, 1000, 10_000).catch(() => undefined);
      seen = p ? `${p.path} ${p.width}x${p.height}` : 'no frames';
    }
    return seen;
  };

  beforeAll(async () => {
    [pi] = (await containerUp({ hosts: 1, layer: 'ready' })) as [LabHost];
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    if (!why) await containerDown();
  });

  it('the streamer restarted at 320x240 by a run that leaves camfleet-webrtc running: a watching page and a new one both play 320x240 over WebRTC', async () => {
    expect((await provision()).code).toBe(0);
    const watching = await open();
    expect(await countFrames(watching, 2000, 30_000)).toMatchObject({ path: 'webrtc', state: 'live', width: 640, height: 360 });
    const webrtcPid = mainPid(pi, 'camfleet-webrtc');
    const newStreams = () => Number(onHost(pi, "sudo journalctl -u camfleet-webrtc -o cat --no-pager | grep -c 'a new stream from the streamer' || true").trim());
    const newStreamsBefore = newStreams();

    // 320x240 at 15 fps is the same H.264 level as 640x360: webrtc.json does not change.
    const r = await provision((doc) => {
      doc.hosts.lab1 = { ...doc.hosts.lab1, camera: { resolution: '320x240' } };
    });
    expect(r.code).toBe(0);
    expect(stepsOf(r.stdout)).toEqual([`lock ${paths.runLock}`, `write-file ${paths.streamerConfig}`, `write-file ${metricsPaths.version}`, 'commit-files', 'restart camfleet-streamer.service', 'clear-pending', 'verify', 'health-gate']);
    expect(mainPid(pi, 'camfleet-webrtc')).toBe(webrtcPid);

    // The page that watched across the switch, and a page opened after it (from the GOP cache).
    expect(await sizeOnceShowing(watching, 'webrtc 320x240', 20_000)).toBe('webrtc 320x240');
    const fresh = await open();
    const played = await countFrames(fresh, 3000, 20_000);
    expect(played).toMatchObject({ path: 'webrtc', state: 'live', width: 320, height: 240 });
    // The lab camera makes 15 fps: most of them are shown, on both pages.
    expectMostFramesShown(played, 15);
    expectMostFramesShown(await countFrames(watching, 3000), 15);
    expect(mainPid(pi, 'camfleet-webrtc')).toBe(webrtcPid);
    // One new stream for the one restart of the streamer.
    expect(newStreams() - newStreamsBefore).toBe(1);
  });
});
