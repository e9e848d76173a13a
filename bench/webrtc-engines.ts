// Which WebRTC engine serves the viewer page: measured side by side on this machine, fed the same
// stamped 720p30 stream the same way (RTP on loopback, as the streamer's ffmpeg sends it), watched
// by the same headless chromium. Candidates: Debian's janus (streaming plugin, its HTTP API for
// signalling) and werift inside camfleet-webrtc (webrtc/, WHEP). Printed per engine: the engine
// process's CPU with 1 and with 4 viewers (the encoder feeding both is not counted), its resident memory, time from offer to first frame, and glass-to-glass latency.
// Needs root-free loopback only; janus must be installed (`apt-get install janus`) or it is skipped.
//   npx tsx bench/webrtc-engines.ts
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../lab/browser.ts';
import { buildWebrtcBundle } from '../webrtc/build.ts';
import { rtpOutput } from '../streamer/ffmpeg-args.ts';
import { processCpuMs } from './proc-stat.ts';
import { median, readStampsInPage, stampFilter } from './stamp.ts';

const width = 1280, height = 720, fps = 30;
const weriftRtpPort = 15002, janusRtpPort = 15004;

export interface EngineFigures {
  engine: string;
  cpuOneViewerPct: number;
  cpuPerExtraViewerPct: number;
  rssMb: number;
  firstFrameMs: number;
  latencyMedianMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number): number {
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
}
async function cpuPct(pid: number, ms: number): Promise<number> {
  const a = processCpuMs(pid) / 1000;
  await sleep(ms);
  return Math.round(((processCpuMs(pid) / 1000 - a) / (ms / 1000)) * 1000) / 10;
}

/** In-page WHEP client (what viewer/app.ts does), resolving when the first frame is shown. */
const whepInPage = `async ({ url }) => {
  const t0 = performance.now();
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  const video = document.querySelector('video');
  pc.ontrack = (e) => { video.srcObject = e.streams[0] || new MediaStream([e.track]); video.play(); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => { if (pc.iceGatheringState === 'complete') r(); pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); setTimeout(r, 1000); });
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  await new Promise((r) => video.requestVideoFrameCallback(r));
  return Math.round(performance.now() - t0);
}`;

/** In-page client of Janus's HTTP API: create, attach the streaming plugin, watch mountpoint 1, answer, start. */
const janusInPage = `async ({ url }) => {
  const t0 = performance.now();
  const tx = () => Math.random().toString(36).slice(2);
  const post = async (path, body) => (await fetch(url + path, { method: 'POST', body: JSON.stringify({ ...body, transaction: tx() }) })).json();
  const session = (await post('', { janus: 'create' })).data.id;
  const handle = (await post('/' + session, { janus: 'attach', plugin: 'janus.plugin.streaming' })).data.id;
  await post('/' + session + '/' + handle, { janus: 'message', body: { request: 'watch', id: 1 } });
  let offer;
  while (!offer) {
    const events = await (await fetch(url + '/' + session + '?maxev=5')).json();
    for (const e of [].concat(events)) if (e.jsep) offer = e.jsep;
  }
  // Keep the session alive (Janus drops it after 60 s without a poll).
  (async () => { for (;;) await fetch(url + '/' + session + '?maxev=5').catch(() => {}); })();
  const pc = new RTCPeerConnection();
  const video = document.querySelector('video');
  pc.ontrack = (e) => { video.srcObject = e.streams[0] || new MediaStream([e.track]); video.play(); };
  await pc.setRemoteDescription(offer);
  await pc.setLocalDescription(await pc.createAnswer());
  await new Promise((r) => { if (pc.iceGatheringState === 'complete') r(); pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); setTimeout(r, 1000); });
  await post('/' + session + '/' + handle, { janus: 'message', body: { request: 'start' }, jsep: pc.localDescription });
  await new Promise((r) => video.requestVideoFrameCallback(r));
  return Math.round(performance.now() - t0);
}`;

/** A page on the engine's own origin (its status or info document), as the viewer page is on the Pi's. */
async function viewer(browser: Browser, client: string, url: string): Promise<{ page: Page; firstFrameMs: number }> {
  const page = await browser.newPage({ viewport: { width: 640, height: 400 } });
  await page.goto(`${url}/${url.endsWith('whep') ? 'status' : 'info'}`, { waitUntil: 'load' });
  await page.evaluate(`document.body.innerHTML = '<video muted autoplay playsinline style="width:640px"></video>'`);
  const firstFrameMs = (await page.evaluate(`(${client})(${JSON.stringify({ url })})`)) as number;
  return { page, firstFrameMs };
}

async function measure(engine: string, pid: number, browser: Browser, client: string, url: string): Promise<EngineFigures> {
  const first = await viewer(browser, client, url);
  await sleep(2000);
  const latencies = (await first.page.evaluate(`(${readStampsInPage})({ ms: 8000, waitMs: 10000 })`)) as number[];
  const one = await cpuPct(pid, 10_000);
  const more = [];
  for (let i = 0; i < 3; i++) more.push(await viewer(browser, client, url));
  await sleep(2000);
  const four = await cpuPct(pid, 10_000);
  const figures = {
    engine,
    cpuOneViewerPct: one,
    cpuPerExtraViewerPct: Math.round(((four - one) / 3) * 10) / 10,
    rssMb: rssMb(pid),
    firstFrameMs: median([first.firstFrameMs, ...more.map((m) => m.firstFrameMs)]),
    latencyMedianMs: median(latencies),
  };
  for (const v of [first, ...more]) await v.page.close();
  return figures;
}

export async function benchWebrtcEngines(log: (line: string) => void = console.log): Promise<EngineFigures[]> {
  const dir = mkdtempSync(join(tmpdir(), 'camfleet-engines-'));
  const children: ChildProcess[] = [];
  const run = (cmd: string, args: string[]) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(c);
    return c;
  };
  const browser = await launchBrowser();
  const results: EngineFigures[] = [];
  try {
    // The publisher: what the streamer sends (libx264, Constrained Baseline, a keyframe a second),
    // stamped, as RTP the way the streamer sends it to camfleet-webrtc: to each engine's port.
    run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`, '-vf', stampFilter(width, fps),
      '-map', '0:v', '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-level:v', '31', '-pix_fmt', 'yuv420p',
      '-b:v', '2500k', '-g', String(fps), '-bf', '0', '-flags', '+global_header', '-f', 'tee', `${rtpOutput(weriftRtpPort)}|${rtpOutput(janusRtpPort)}`]);
    await sleep(2000);

    // werift, in the very service the Pi runs.
    const bundle = join(dir, 'webrtc.js');
    writeFileSync(bundle, await buildWebrtcBundle());
    writeFileSync(join(dir, 'webrtc.json'), JSON.stringify({ rtpPort: weriftRtpPort, listen: { host: '127.0.0.1', port: 18890 }, icePorts: [52000, 52100], profileLevelId: '42e01f', maxViewers: 20 }));
    const werift = run(process.execPath, [bundle, '--config', join(dir, 'webrtc.json')]);
    await sleep(2000);
    log('werift (camfleet-webrtc) ...');
    results.push(await measure('werift 0.24 (Node)', werift.pid!, browser, whepInPage, 'http://127.0.0.1:18890/whep'));
    werift.kill();

    if (spawnSync('sh', ['-c', 'command -v janus']).status !== 0) {
      log('janus is not installed here (apt-get install janus): skipped');
      return results;
    }
    writeFileSync(join(dir, 'janus.jcfg'), janusConfig(dir));
    writeFileSync(join(dir, 'janus.transport.http.jcfg'), 'general: { json = "plain" base_path = "/janus" http = true port = 18088 ip = "127.0.0.1" https = false }\nadmin: { admin_http = false }\ncors: { allow_origin = "*" }\n');
    writeFileSync(join(dir, 'janus.plugin.streaming.jcfg'), `general: { }\ncam: { type = "rtp" id = 1 description = "cam" media = ({ type = "video" mid = "v" port = ${janusRtpPort} pt = 96 codec = "h264" fmtp = "profile-level-id=42e01f;packetization-mode=1" }) }\n`);
    const janus = run('janus', ['-C', join(dir, 'janus.jcfg'), '-F', dir]);
    await sleep(3000);
    log('janus (streaming plugin) ...');
    results.push(await measure('janus 1.1 (streaming plugin)', janus.pid!, browser, janusInPage, 'http://127.0.0.1:18088/janus'));
    return results;
  } finally {
    await browser.close();
    for (const c of children) c.kill('SIGKILL');
  }
}

function janusConfig(dir: string): string {
  const lib = '/usr/lib/x86_64-linux-gnu/janus';
  return `general: { configs_folder = "${dir}" plugins_folder = "${lib}/plugins" transports_folder = "${lib}/transports" events_folder = "${lib}/events" loggers_folder = "${lib}/loggers" debug_level = 2 }
plugins: { disable = "libjanus_audiobridge.so,libjanus_echotest.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_videoroom.so,libjanus_voicemail.so,libjanus_nosip.so,libjanus_lua.so,libjanus_duktape.so" }
transports: { disable = "libjanus_websockets.so,libjanus_pfunix.so,libjanus_mqtt.so,libjanus_rabbitmq.so,libjanus_nanomsg.so" }
events: { broadcast = false }
loggers: { disable = "libjanus_jsonlog.so" }
media: { rtp_port_range = "53000-53100" }
nat: { ignore_mdns = true }
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await benchWebrtcEngines();
  console.log('\nengine                          CPU 1 viewer  per extra viewer  RSS     first frame  latency (median)');
  for (const r of rows)
    console.log(`${r.engine.padEnd(32)}${`${r.cpuOneViewerPct}%`.padEnd(14)}${`${r.cpuPerExtraViewerPct}%`.padEnd(18)}${`${r.rssMb} MB`.padEnd(8)}${`${r.firstFrameMs} ms`.padEnd(13)}${r.latencyMedianMs} ms`);
}
