// What render needs besides the inventory, gathered once per run: the compiled templates and the
// streamer bundle. Reads the disk and runs esbuild, so it lives outside the pure core.
import { buildStreamerBundle } from '../streamer/build.ts';
import type { RenderInputs } from './render/render.ts';
import { loadTemplates } from './render/templates.ts';

export async function loadRenderInputs(templatesDir?: string): Promise<RenderInputs> {
  return { templates: loadTemplates(templatesDir), streamerBundle: await buildStreamerBundle() };
}
