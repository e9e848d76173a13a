// How long the stream's current publisher has been publishing, from nginx-rtmp's statistics page
// on loopback. nginx-rtmp keeps a player connected when its publisher goes and another comes (the
// streamer restarted with a new size or bitrate, or its ffmpeg fell back to another encoder), and
// a player's stream copy goes on with the stream header it read when it joined: rtp-source.ts
// compares this age with its ffmpeg's to know when that header is stale. Polled once a second:
// one small page over loopback. (nginx-rtmp's publish_notify would tell players instead, but every
// RTMP player of the application, ffplay and VLC too, not this one alone.)
import { get } from 'node:http';

/** The publishing client's connection age in ms (its <time> in rtmp_stat XML), if the stream has one. */
export function publisherAgeMs(statXml: string, application: string, stream: string): number | undefined {
  // An application's or a stream's first <name> is its own (clients have none).
  const named = (name: string) => (block: string) => /<name>([^<]*)<\/name>/.exec(block)?.[1] === name;
  const app = statXml.match(/<application>[\s\S]*?<\/application>/g)?.find(named(application));
  const live = app?.match(/<stream>[\s\S]*?<\/stream>/g)?.find(named(stream));
  const publisher = live?.match(/<client>[\s\S]*?<\/client>/g)?.find((c) => /<publishing\s*\/>/.test(c));
  const time = publisher && /<time>(\d+)<\/time>/.exec(publisher)?.[1];
  return time ? Number(time) : undefined;
}

/** Calls `onPublisher` with the publisher's age after each poll that finds one; returns a stop function. */
export function watchPublisher(
  statUrl: string,
  application: string,
  stream: string,
  onPublisher: (ageMs: number) => void,
  log: (line: string) => void,
): () => void {
  let lastError = '';
  const poll = () =>
    fetchText(statUrl).then(
      (xml) => {
        if (lastError) log(`statistics page readable again (${statUrl})`);
        lastError = '';
        const age = publisherAgeMs(xml, application, stream);
        if (age !== undefined) onPublisher(age);
      },
      (e: Error) => {
        // Said once, not every second: nginx restarting is normal, a lasting refusal is not.
        if (e.message !== lastError) log(`cannot read nginx-rtmp's statistics page ${statUrl}: ${e.message}; a new publisher goes unnoticed until it can`);
        lastError = e.message;
      },
    );
  const timer = setInterval(() => void poll(), 1000);
  return () => clearInterval(timer);
}

/** node:http, not fetch: fetch is experimental in the Pi's Node 18 and warns in the journal. */
function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 900 }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new Error(`HTTP ${res.statusCode}`));
      }
      let text = '';
      res.setEncoding('utf8').on('data', (s: string) => (text += s));
      res.on('end', () => resolve(text));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 900 ms')));
    req.on('error', reject);
  });
}
