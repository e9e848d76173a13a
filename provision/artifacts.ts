// What render needs besides the inventory, gathered once per run: the compiled templates and the
// streamer bundle and the viewer page's files. Reads the disk and runs esbuild, so it lives outside the pure core.
import { buildStreamerBundle } from '../streamer/build.ts';
import { buildViewerAssets } from '../viewer/build.ts';
import type { RenderInputs } from './render/render.ts';
import { loadTemplates } from './render/templates.ts';

export async function loadRenderInputs(templatesDir?: string): Promise<RenderInputs> {
  const [streamerBundle, viewerAssets] = await Promise.all([buildStreamerBundle(), buildViewerAssets()]);
  return { templates: loadTemplates(templatesDir), streamerBundle, viewerAssets };
}
