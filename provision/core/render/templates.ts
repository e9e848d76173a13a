// The handlebars templates, compiled once. Strict: a variable the context lacks is an error, not an
// empty string. No HTML escaping: these are config files, and render escapes every value for the
// template's own format (render/formats.ts) before it reaches the template.
// Pure: the template sources come in as text (artifacts.ts reads them from templates/).
import Handlebars from 'handlebars';
import { jsonValue } from './formats.ts';

export type Template = (context: object) => string;
export type Templates = Record<string, Template>;

const hbs = Handlebars.create();
hbs.registerHelper('json', jsonValue);
hbs.registerHelper('multiply', (a: number, b: number) => Number(a) * Number(b));
hbs.registerHelper('hex', (value: string) => Buffer.from(String(value), 'utf8').toString('hex'));
// GKeyFile (NetworkManager keyfiles) escapes backslashes and a leading space.
hbs.registerHelper('keyfile', (value: string) => String(value).replace(/\\/g, '\\\\').replace(/^ /, '\\s'));

/**
 * Compile each template source, keyed by its name (the file name without `.hbs`). A name starting
 * with `_` is a partial that templates include as `{{> name}}` (`_nginx-rtmp`: the RTMP block both
 * nginx configs share); it is no template of its own.
 */
export function compileTemplates(sources: Record<string, string>): Templates {
  const compile = (source: string) => hbs.compile(source, { strict: true, noEscape: true });
  const entries = Object.entries(sources);
  const partials = Object.fromEntries(entries.filter(([name]) => name.startsWith('_')).map(([name, source]) => [name.slice(1), compile(source)]));
  const out: Templates = {};
  for (const [name, source] of entries) {
    if (name.startsWith('_')) continue;
    const compiled = compile(source);
    out[name] = (context) => compiled(context, { partials });
  }
  return out;
}
