// camfleet-webrtc (webrtc/): reads the stream back from nginx-rtmp, copies it into RTP and serves
// it over WebRTC. On while the viewer is on with webrtc among its paths; off, its unit is stopped
// and its files removed.
import type { WebrtcConfig } from '../../../contract/webrtc-config.ts';
import { profileLevelId } from '../../../contract/h264-profile.ts';
import { jsonFile } from '../render/formats.ts';
import { paths, units } from '../render/paths.ts';
import { viewerTemplateContext, webrtcPorts } from '../render/viewer.ts';
import { managedMarker, type ResolvedHost } from '../types.ts';
import { absentFiles, contentFile, offUnit, onUnit, type Part } from './part.ts';
import { localRtmpServer } from './streamer.ts';

const files = [paths.webrtcUnit, paths.webrtcConfig, paths.webrtcService];

export const webrtc: Part = {
  name: 'webrtc',
  // Node runs it, ffmpeg copies the stream into RTP (the streamer's too: installed once).
  packages: ['ffmpeg', 'nodejs'],
  enabled: (host) => !host.origin && viewerTemplateContext(host).webrtc,
  on: ({ host, viewerAssets, template }) => ({
    files: [
      // No key in it (the service reads the stream key's own file), so its diff is shown whole.
      contentFile(paths.webrtcConfig, jsonFile(webrtcConfig(host))),
      contentFile(paths.webrtcService, viewerAssets.webrtcService),
      template(paths.webrtcUnit, 'camfleet-webrtc.service', 'systemd'),
    ],
    // Not with the streamer's settings: a new publisher's stream header reaches browsers because
    // camfleet-webrtc notices the publisher itself (webrtc/publisher.ts), also when no run restarts it.
    units: [onUnit(units.webrtc, [paths.webrtcUnit, paths.webrtcConfig, paths.streamKey, paths.webrtcService])],
    listen: [webrtcPorts.whep],
  }),
  off: (host) => (host.origin ? {} : { absent: absentFiles(files), units: [offUnit(units.webrtc)] }),
};

/** webrtc.json, typed by the contract the service checks it with (contract/webrtc-config.ts). */
export function webrtcConfig(host: ResolvedHost): WebrtcConfig {
  const { camera } = host;
  return {
    comment: `${managedMarker}. Local edits are replaced on the next provision.`,
    // The stream read back from nginx on the Pi itself, over loopback; the key from its own file.
    server: localRtmpServer(host),
    stat: `http://127.0.0.1:${host.stream.statPort}/stat`,
    listen: { host: '127.0.0.1', port: webrtcPorts.whep },
    icePorts: [webrtcPorts.iceFrom, webrtcPorts.iceTo],
    profileLevelId: profileLevelId(camera.width, camera.height, camera.fps),
    maxViewers: webrtcPorts.maxViewers,
  };
}
