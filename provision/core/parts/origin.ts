// An origin's pages: the fleet wall at / and each relaying camera's viewer page at /<camera>/,
// playing the origin's HLS. The origin's nginx is nginx-rtmp.ts's (its own template); it runs no
// camera, streamer or hotspot (their parts are off there). URLs and pages: render/origin.ts.
import { paths } from '../render/paths.ts';
import { cameraPage, originPagePath, wallPage } from '../render/origin.ts';
import { contentFile, type Part } from './part.ts';

export const origin: Part = {
  name: 'origin',
  packages: [],
  enabled: (host) => !!host.origin,
  on: ({ host, viewerAssets, wallAssets }) => {
    const o = host.origin;
    if (!o || !host.viewer.enabled) return {};
    if (!wallAssets) throw new Error(`${host.name}: the fleet wall's files were not built (RenderInputs.wallAssets)`);
    const withOrigin = { ...host, origin: o };
    return {
      files: [
        contentFile(paths.viewerPage, wallPage(withOrigin, wallAssets.page)),
        contentFile(paths.wallApp, wallAssets.app),
        contentFile(paths.viewerApp, viewerAssets.app),
        contentFile(paths.viewerHlsLibrary, viewerAssets.hlsLibrary),
        ...o.sources.map((s) => contentFile(originPagePath(s.name), cameraPage(host, s.name, viewerAssets.page))),
      ],
      listen: [host.viewer.port],
    };
  },
  off: () => ({}),
};
