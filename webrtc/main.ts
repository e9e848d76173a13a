// camfleet-webrtc: the viewer page's low-latency path. Reads the Pi's own stream back from
// nginx-rtmp as RTP (copied, never re-encoded) and serves it to browsers over WebRTC (WHEP).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { redactUrl } from '../contract/streamer-config.ts';
import { parseConfig, streamUrl } from './config.ts';
import { watchPublisher } from './publisher.ts';
import { startRtpSource } from './rtp-source.ts';
import { startWhep } from './whep.ts';

const { values } = parseArgs({ options: { config: { type: 'string' }, 'stream-key-file': { type: 'string' } } });
const keyFile = values['stream-key-file'];
if (!values.config || !keyFile) {
  console.error('usage: webrtc.js --config FILE --stream-key-file FILE');
  process.exit(2);
}
const config = parseConfig(readFileSync(values.config, 'utf8'), values.config);
const rtmpUrl = streamUrl(config, readFileSync(keyFile, 'utf8'), keyFile);
// The key may be a secret, and ffmpeg's errors name the URL it reads: every line logged is masked.
const log = (line: string) => console.log(redactUrl(line, rtmpUrl));

// No top-level await: the bundle is CommonJS (webrtc/build.ts).
async function main(): Promise<void> {
  const source = await startRtpSource(rtmpUrl, log);
  const whep = await startWhep(config, source, log);
  const [, application, stream] = new URL(rtmpUrl).pathname.split('/');
  const unwatch = watchPublisher(config.stat, application!, stream!, (age) => source.publisherAge(age), log);
  log(`WHEP on http://${config.listen.host}:${config.listen.port}/whep, media on UDP ${config.icePorts.join('-')}`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => {
      unwatch();
      source.stop();
      void whep.close().then(() => process.exit(0));
    });
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
