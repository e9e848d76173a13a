// camfleet-streamer (streamer/): reads the camera, encodes with ffmpeg and publishes to nginx-rtmp
// on the Pi, and to camfleet-webrtc as RTP. An origin has no camera: there its files are removed and its unit stopped.
import { validateStreamerConfig, type StreamerConfig } from '../../../contract/streamer-config.ts';
import { managedMarker, type ManagedFile, type ResolvedHost } from '../types.ts';
import { jsonFile, lineFile } from '../render/formats.ts';
import { paths, units } from '../render/paths.ts';
import { webrtcPorts } from '../render/viewer.ts';
import { RenderError } from '../render/errors.ts';
import { streamerMetricsConfig } from './metrics.ts';
import { absentFiles, contentFile, offUnit, onUnit, type Part } from './part.ts';

const files = [paths.streamerUnit, paths.streamerConfig, paths.streamKey, paths.streamerBundle];

export const streamer: Part = {
  name: 'streamer',
  packages: ['ffmpeg', 'nodejs'],
  always: true,
  enabled: (host) => !host.origin,
  on: ({ host, streamerBundle, template }) => ({
    files: [...streamerFiles(host), contentFile(paths.streamerBundle, streamerBundle), template(paths.streamerUnit, 'camfleet-streamer.service', 'systemd')],
    units: [onUnit(units.streamer, files)],
  }),
  off: () => ({ absent: absentFiles(files), units: [offUnit(units.streamer)] }),
};

/** Where the streamer on the Pi publishes: nginx on the Pi itself, over loopback. */
export const localRtmpServer = (host: ResolvedHost): string => `rtmp://127.0.0.1:${host.stream.port}/${host.stream.application}`;

/**
 * streamer.json, written from the contract's type (JSON.stringify, no template) and checked by the
 * very function the streamer reads it with; and the stream key in a file of its own, root-only, so
 * streamer.json holds no secret and its diffs need no mask.
 */
function streamerFiles(host: ResolvedHost): ManagedFile[] {
  const comment = `${managedMarker}. Local edits are replaced on the next provision.`;
  // The RTP copy for camfleet-webrtc goes out whether or not the viewer offers WebRTC (unread, it
  // costs only its packets): turning WebRTC on or off then leaves the stream alone.
  const config: StreamerConfig = { comment, ...host.camera, server: localRtmpServer(host), statusFile: paths.streamerStatus, metrics: streamerMetricsConfig(host), rtpPort: webrtcPorts.rtp };
  try {
    validateStreamerConfig(config, "the streamer's contract");
  } catch (e) {
    throw new RenderError(host.name, 'streamer.json', (e as Error).message);
  }
  return [
    contentFile(paths.streamerConfig, jsonFile(config)),
    contentFile(paths.streamKey, lineFile(comment, host.stream.key), { mode: 0o600, sensitive: host.secrets.includes(host.stream.key) }),
  ];
}
