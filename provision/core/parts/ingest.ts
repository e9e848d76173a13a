// External ingests (camfleet-ingest): the stream the streamer already encodes, read back from
// nginx-rtmp over loopback and copied by one ffmpeg per ingest (-c:v copy, no second encode) to
// YouTube Live, Twitch or a CDN, over RTMP or RTMPS (templates/camfleet-ingest.sh.hbs). Off, its
// unit, script and list go, and with the unit its runtime directory (each ingest's state).
//
// Why a supervised ffmpeg per ingest and not nginx-rtmp's `push`: `push` speaks no TLS (RTMPS
// would need a tunnel beside it), cannot add the silent audio track YouTube Live wants, and
// reports a failed push only as a line in nginx's error log, without the reason. ffmpeg verifies
// TLS itself (GnuTLS, the system's CA store or the ingest's own CA), adds audio to that ingest's
// copy alone, and says why a run ended (refused, TLS, a rejected key), which status and /metrics
// show. The cost is one small copying process per ingest, measured in the bench.
import type { Ingest } from '../types.ts';
import { managedMarker } from '../types.ts';
import { fieldsFile } from '../render/formats.ts';
import { paths, units } from '../render/paths.ts';
import { absentFiles, contentFile, offUnit, onUnit, type Part } from './part.ts';

const files = [paths.ingestScript, paths.ingestUnit, paths.ingestsConf];

export const ingest: Part = {
  name: 'ingest',
  // ffmpeg copies the stream (the streamer's: installed once); coreutils' base64 writes a private CA out.
  packages: ['ffmpeg'],
  enabled: (host) => !host.origin && host.ingests.length > 0,
  on: ({ host, template }) => ({
    files: [
      // No value in its text (the unit hands them over): any format would do.
      template(paths.ingestScript, 'camfleet-ingest.sh', 'systemd', { mode: 0o755 }),
      template(paths.ingestUnit, 'camfleet-ingest.service', 'systemd'),
      // Root-only and masked in diffs: it holds the keys.
      contentFile(paths.ingestsConf, ingestsList(host.ingests), { mode: 0o600, sensitive: true }),
    ],
    // The stream key names the stream it reads: a new key restarts it too.
    units: [onUnit(units.ingest, [...files, paths.streamKey])],
  }),
  off: (host) => (host.origin ? {} : { absent: absentFiles(files), units: [offUnit(units.ingest)] }),
};

/** One line per ingest: name, URL without a trailing slash, key, audio, its CA in base64 or `-`. */
export function ingestsList(ingests: readonly Ingest[]): string {
  const records = ingests.map((i) => [i.name, i.url.replace(/\/+$/, ''), i.key, i.audio, i.ca ? Buffer.from(i.ca).toString('base64') : '-']);
  return fieldsFile(`${managedMarker}: the external ingests (relay.ingests), one a line: name, URL, key, audio, CA. Holds secrets.`, records);
}
