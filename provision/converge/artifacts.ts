// Everything built for the Pi or the browser, in one place: the streamer bundle, the viewer page
// with the WebRTC service, the fleet wall, the origin's exporter. Built once per run (esbuild),
// so it lives outside the pure core. The bundled CLI carries this module's result prebuilt: this
// module is its one seam (provision/bundle/build-cli.ts swaps it, and fails the build if it
// cannot find it).
import type { Artifacts } from '../../contract/artifacts.ts';
import { buildOriginExporterBundle } from '../../origin-exporter/build.ts';
import { buildStreamerBundle } from '../../streamer/build.ts';
import { buildViewerAssets } from '../../viewer/build.ts';
import { buildWallAssets } from '../../wall/build.ts';

export async function buildArtifacts(): Promise<Artifacts> {
  const [streamerBundle, viewerAssets, wallAssets, originExporter] = await Promise.all([buildStreamerBundle(), buildViewerAssets(), buildWallAssets(), buildOriginExporterBundle()]);
  return { streamerBundle, viewerAssets, wallAssets, originExporter };
}
