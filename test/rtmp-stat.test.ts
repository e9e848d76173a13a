// nginx-rtmp's statistics as `camfleet status` reads them, from a real nginx-rtmp on loopback
// with a real ffmpeg publishing: a live stream has a bitrate from its first seconds on.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { statusTable } from '../provision/cli/status.ts';
import { parseRtmpStat } from '../contract/rtmp-stat.ts';
import { startNginxRtmp, type NginxRtmp } from './support/nginx-rtmp.ts';

let nginx: NginxRtmp;
beforeAll(async () => {
  nginx = await startNginxRtmp();
});
afterAll(async () => {
  await nginx?.stop();
});

it('a stream live for a few seconds shows its bitrate (nginx-rtmp reports bw_in 0 for the first ten)', async () => {
  const ffmpeg = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '400k', '-maxrate', '400k', '-bufsize', '200k', '-f', 'flv', nginx.url('cam')], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 4000));
    const xml = await (await fetch(`http://127.0.0.1:${nginx.statPort}/stat`)).text();
    expect(xml).toMatch(/<bw_in>0<\/bw_in>/); // what nginx-rtmp says this early
    const [stream] = parseRtmpStat(xml);
    expect(stream).toMatchObject({ application: 'live', name: 'cam', publishing: true, width: 320, height: 240 });
    // Near the 400 kb/s asked for (the first keyframe and the encoder's start make it rough).
    expect(stream!.bitrateIn).toBeGreaterThan(100_000);
    expect(stream!.bitrateIn).toBeLessThan(1_200_000);
    const table = statusTable([{ host: 'pi1', reachable: true, source: 'libcamera /base/soc/i2c0mux/i2c@1/imx708@1a', nginx: 'active', streamer: 'active', stream, live: true }]);
    expect(table).toMatch(/^pi1 +libcamera \/base\/soc\/i2c0mux\/i2c@1\/imx708@1a +active +active +LIVE +320x240@15 H264 +\d+ kb\/s/m);
  } finally {
    ffmpeg.kill('SIGKILL');
  }
});
