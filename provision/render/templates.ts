// The handlebars templates, compiled once. Strict: a variable the context lacks is an error, not an
// empty string. No HTML escaping: these are config files, and render escapes every value for the
// template's own format (render/formats.ts) before it reaches the template.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { projectRoot } from '../project-root.ts';

export const templatesDir = join(projectRoot, 'templates');

export type Template = (context: object) => string;
export type Templates = Record<string, Template>;

const hbs = Handlebars.create();
hbs.registerHelper('json', (value: unknown) => JSON.stringify(value));
hbs.registerHelper('multiply', (a: number, b: number) => Number(a) * Number(b));
hbs.registerHelper('hex', (value: string) => Buffer.from(String(value), 'utf8').toString('hex'));
// GKeyFile (NetworkManager keyfiles) escapes backslashes and a leading space.
hbs.registerHelper('keyfile', (value: string) => String(value).replace(/\\/g, '\\\\').replace(/^ /, '\\s'));

/** Read and compile every `*.hbs` in a directory (the repo's templates/ by default); keyed by file name without `.hbs`. */
export function loadTemplates(dir = templatesDir): Templates {
  const out: Templates = {};
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.hbs')).sort()) {
    const source = readFileSync(join(dir, name), 'utf8');
    const compiled = hbs.compile(source, { strict: true, noEscape: true });
    out[name.slice(0, -'.hbs'.length)] = (context) => compiled(context);
  }
  return out;
}
