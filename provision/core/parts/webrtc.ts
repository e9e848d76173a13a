// camfleet-webrtc (webrtc/): takes the streamer's encode as RTP over loopback and serves it over
// WebRTC. On while the viewer is on with webrtc among its paths; off, its unit is stopped
// and its files removed.
import type { WebrtcConfig } from '../../../contract/webrtc-config.ts';
import { profileLevelId } from '../../../contract/h264-profile.ts';
import { jsonFile } from '../render/formats.ts';
import { paths, units } from '../render/paths.ts';
import { viewerTemplateContext, webrtcPorts } from '../render/viewer.ts';
import { managedMarker, type ResolvedHost } from '../types.ts';
import { absentFiles, contentFile, offUnit, onUnit, type Part } from './part.ts';

const files = [paths.webrtcUnit, paths.webrtcConfig, paths.webrtcService];

export const webrtc: Part = {
  name: 'webrtc',
  // Node runs it; the stream comes from the streamer's ffmpeg.
  packages: ['nodejs'],
  enabled: (host) => !host.origin && viewerTemplateContext(host).webrtc,
  on: ({ host, viewerAssets, template }) => ({
    files: [
      // No key in it (the service needs none), so its diff is shown whole.
      contentFile(paths.webrtcConfig, jsonFile(webrtcConfig(host))),
      contentFile(paths.webrtcService, viewerAssets.webrtcService),
      template(paths.webrtcUnit, 'camfleet-webrtc.service', 'systemd'),
    ],
    // Not with the streamer's settings or key: a new run of the streamer's ffmpeg comes as a new
    // RTP stream, whose stream header reaches browsers without this service restarting (webrtc/rtp-source.ts).
    units: [onUnit(units.webrtc, [paths.webrtcUnit, paths.webrtcConfig, paths.webrtcService])],
    listen: [webrtcPorts.whep],
  }),
  off: (host) => (host.origin ? {} : { absent: absentFiles(files), units: [offUnit(units.webrtc)] }),
};

/** webrtc.json, typed by the contract the service checks it with (contract/webrtc-config.ts). */
export function webrtcConfig(host: ResolvedHost): WebrtcConfig {
  const { camera } = host;
  return {
    comment: `${managedMarker}. Local edits are replaced on the next provision.`,
    // Where the streamer's ffmpeg sends the stream (streamer.json's rtpPort).
    rtpPort: webrtcPorts.rtp,
    listen: { host: '127.0.0.1', port: webrtcPorts.whep },
    icePorts: [webrtcPorts.iceFrom, webrtcPorts.iceTo],
    profileLevelId: profileLevelId(camera.width, camera.height, camera.fps),
    maxViewers: webrtcPorts.maxViewers,
  };
}
