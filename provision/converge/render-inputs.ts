// What render needs besides the inventory, gathered once per run: the compiled templates (read
// from disk at run time, so an operator's --templates folder works) and the built artifacts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RenderInputs } from '../core/render/render.ts';
import { compileTemplates, type Templates } from '../core/render/templates.ts';
import { buildArtifacts } from './artifacts.ts';
import { projectRoot } from './project-root.ts';

export const templatesDir = join(projectRoot, 'templates');

export async function loadRenderInputs(dir?: string): Promise<RenderInputs> {
  return { templates: loadTemplates(dir), ...(await buildArtifacts()) };
}

/** Read and compile every `*.hbs` in a directory (the repo's templates/ by default); keyed by file name without `.hbs`. */
export function loadTemplates(dir = templatesDir): Templates {
  const names = readdirSync(dir).filter((f) => f.endsWith('.hbs')).sort();
  return compileTemplates(Object.fromEntries(names.map((name) => [name.slice(0, -'.hbs'.length), readFileSync(join(dir, name), 'utf8')])));
}
