// camfleet-webrtc: the viewer page's low-latency path. Takes the streamer's encode as RTP on a
// loopback UDP port (never re-encoded, never read back from nginx-rtmp) and serves it to browsers
// over WebRTC (WHEP). It needs no stream key: nothing it reads or logs holds one.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseConfig } from './config.ts';
import { startRtpSource } from './rtp-source.ts';
import { startWhep } from './whep.ts';

const { values } = parseArgs({ options: { config: { type: 'string' } } });
if (!values.config) {
  console.error('usage: webrtc.js --config FILE');
  process.exit(2);
}
const config = parseConfig(readFileSync(values.config, 'utf8'), values.config);
const log = (line: string) => console.log(line);

// No top-level await: the bundle is CommonJS (webrtc/build.ts).
async function main(): Promise<void> {
  const source = await startRtpSource(config.rtpPort, log);
  const whep = await startWhep(config, source, log);
  log(`WHEP on http://${config.listen.host}:${config.listen.port}/whep, the stream from UDP 127.0.0.1:${config.rtpPort}, media on UDP ${config.icePorts.join('-')}`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => {
      source.stop();
      void whep.close().then(() => process.exit(0));
    });
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
