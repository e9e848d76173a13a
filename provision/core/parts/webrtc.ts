// camfleet-webrtc (webrtc/): reads the stream back from nginx-rtmp, copies it into RTP and serves
// it over WebRTC. On while the viewer is on with webrtc among its paths; off, its unit is stopped
// and its files removed.
import { paths, units } from '../render/paths.ts';
import { viewerTemplateContext, webrtcPorts } from '../render/viewer.ts';
import { absentFiles, contentFile, offUnit, onUnit, type Part } from './part.ts';

const files = [paths.webrtcUnit, paths.webrtcConfig, paths.webrtcService];

export const webrtc: Part = {
  name: 'webrtc',
  // Node runs it, ffmpeg copies the stream into RTP (the streamer's too: installed once).
  packages: ['ffmpeg', 'nodejs'],
  enabled: (host) => !host.origin && viewerTemplateContext(host).webrtc,
  on: ({ viewerAssets, template }) => ({
    files: [
      // No key in it (the service reads the stream key's own file), so its diff is shown whole.
      template(paths.webrtcConfig, 'webrtc.json', 'json'),
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
