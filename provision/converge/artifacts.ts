// What render needs besides the inventory, gathered once per run: the compiled templates and the
// streamer bundle and the viewer page's files. Reads the disk and runs esbuild, so it lives outside the pure core.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildStreamerBundle } from '../../streamer/build.ts';
import { buildViewerAssets } from '../../viewer/build.ts';
import { buildWallAssets } from '../../wall/build.ts';
import { projectRoot } from './project-root.ts';
import type { RenderInputs } from '../core/render/render.ts';
import { compileTemplates, type Templates } from '../core/render/templates.ts';

export const templatesDir = join(projectRoot, 'templates');

export async function loadRenderInputs(dir?: string): Promise<RenderInputs> {
  const [streamerBundle, viewerAssets, wallAssets] = await Promise.all([buildStreamerBundle(), buildViewerAssets(), buildWallAssets()]);
  return { templates: loadTemplates(dir), streamerBundle, viewerAssets, wallAssets };
}

/** Read and compile every `*.hbs` in a directory (the repo's templates/ by default); keyed by file name without `.hbs`. */
export function loadTemplates(dir = templatesDir): Templates {
  const names = readdirSync(dir).filter((f) => f.endsWith('.hbs')).sort();
  return compileTemplates(Object.fromEntries(names.map((name) => [name.slice(0, -'.hbs'.length), readFileSync(join(dir, name), 'utf8')])));
}
