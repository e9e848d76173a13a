// How long the stream's current publisher has been publishing, from nginx-rtmp's statistics page
// on loopback. nginx-rtmp keeps a player connected when its publisher goes and another comes (the
// streamer restarted with a new size or bitrate, or its ffmpeg fell back to another encoder), and
// a player's stream copy goes on with the stream header it read when it joined: rtp-source.ts
// compares this age with its ffmpeg's to know when that header is stale. Polled once a second:
// one small page over loopback. (nginx-rtmp's publish_notify would tell players instead, but every
// RTMP player of the application, ffplay and VLC too, not this one alone.)
import { get } from 'node:http';
import { parseRtmpStat } from '../contract/rtmp-stat.ts';

/** The publishing client's connection age in ms, if the stream has one. */
export function publisherAgeMs(statXml: string, application: string, stream: string): number | undefined {
  return parseRtmpStat(statXml).find((s) => s.application === application && s.name === stream)?.publisherAgeMs;
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
