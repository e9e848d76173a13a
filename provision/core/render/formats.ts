// Every value that reaches a rendered file passes through exactly one function here: the one for
// that file's format. Each either escapes a value so the format reads it back as the same single
// value, or refuses it (a format that has no escape for a character). The inventory schema already
// refuses these characters with file:line:col; this is the backstop that holds if it ever does not.

export type Format = 'systemd' | 'keyfile' | 'hostapd' | 'dnsmasq' | 'nginx' | 'json' | 'html';

/** Text computed by camfleet already in a format's own syntax (e.g. an escaped unit name): passed through as is. */
export class Verbatim {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export class FormatError extends Error {
  override name = 'FormatError';
}

const controlCharacter = /[\u0000-\u001f\u007f]/;

function refuseControl(value: string, format: string): void {
  if (controlCharacter.test(value)) throw new FormatError(`a control character (newline, NUL, ...) cannot be written into ${format}`);
}

/**
 * systemd unit files: one setting per line, `%` starts a specifier and a trailing `\` continues the
 * line. Control characters have no escape (a NUL or newline would end the line and start another
 * setting); `%` and `\` are doubled.
 */
export function systemdValue(value: string): string {
  refuseControl(value, 'a systemd unit');
  return value.replace(/\\/g, '\\\\').replace(/%/g, '%%');
}

/** GKeyFile (NetworkManager keyfiles): its own escapes for `\`, newline, tab, CR and a leading space. */
export function keyfileValue(value: string): string {
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value))
    throw new FormatError('a control character cannot be written into a NetworkManager keyfile');
  return value
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\t/g, '\\t')
    .replace(/\r/g, '\\r')
    .replace(/^ /, '\\s');
}

/** A byte string as a keyfile byte list (`99;97;109;`): how NetworkManager itself writes an SSID with unusual bytes. */
export function keyfileBytes(value: string): Verbatim {
  return new Verbatim(`${[...Buffer.from(value, 'utf8')].join(';')};`);
}

/** hostapd and dnsmasq read one `key=value` per line with no escapes at all. */
function lineValue(format: string): (value: string) => string {
  return (value) => (refuseControl(value, format), value);
}

/**
 * nginx: a value is one bare token. Whitespace, `;`, braces, quotes, `#`, `$` and `\` would end it,
 * open a block, start a comment or expand a variable; camfleet never needs them, so they are refused.
 */
export function nginxValue(value: string): string {
  if (!/^[A-Za-z0-9_.:/@+=,~*-]*$/.test(value))
    throw new FormatError('only letters, digits and _ . : / @ + = , ~ * - can be written into nginx.conf');
  return value;
}

const escapers: Record<Format, (value: string) => string> = {
  systemd: systemdValue,
  keyfile: keyfileValue,
  hostapd: lineValue('hostapd.conf'),
  dnsmasq: lineValue('a dnsmasq config'),
  nginx: nginxValue,
  // JSON's one escape is jsonValue: JSON templates write every value through their `json` helper,
  // which is it, and the output is parsed back (checkRendered).
  json: (value) => value,
  html: htmlText,
};

/** JSON: JSON.stringify, the one escape for a value in a JSON file (a template's `json` helper). */
export function jsonValue(value: unknown): string {
  return JSON.stringify(value);
}

/** A whole JSON file written from a typed value (streamer.json): two-space indented, one newline at the end. */
export function jsonFile(value: object): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * A file that holds one value on one line (the stream key), after a `#` comment line (camfleet's
 * marker): a control character in the value would make it another value, or more lines.
 */
export function lineFile(comment: string, value: string): string {
  refuseControl(value, 'a one-line file');
  return `# ${comment}\n${value}\n`;
}

/**
 * A file of records, one a line, fields separated by tabs (read by a shell script with
 * `IFS=<tab> read -r`), after a `#` comment line: a tab or another control character in a field
 * would move every field after it, or start another record, so it is refused, as is an empty field
 * (`read` would merge two tabs into one).
 */
export function fieldsFile(comment: string, records: readonly (readonly string[])[]): string {
  for (const fields of records) {
    for (const field of fields) {
      refuseControl(field, 'a tab-separated record');
      if (field === '') throw new FormatError('an empty field cannot be written into a tab-separated record');
    }
  }
  return `# ${comment}\n${records.map((fields) => `${fields.join('\t')}\n`).join('')}`;
}

/** HTML text or attribute value: the five characters HTML gives meaning to, as character references. */
export function htmlText(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON inside <script type="application/json">: nothing in it may close the element or open a comment. */
export function jsonInHtml(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * The template context as the template sees it: every string it reads is escaped for `format` at
 * the moment it is read, so a value the template never uses cannot fail it. Numbers and booleans
 * cannot break a format; Verbatim values are camfleet's own. A refused value names its place.
 */
export function escapeContext<T extends object>(context: T, format: Format): T {
  const escape = escapers[format];
  const wrap = (target: object, path: string): object =>
    new Proxy(target, {
      get(obj, key, receiver) {
        const value: unknown = Reflect.get(obj, key, receiver);
        if (typeof key === 'symbol') return value;
        const at = path ? `${path}.${key}` : key;
        if (typeof value === 'string') {
          try {
            return escape(value);
          } catch (e) {
            throw new FormatError(`${at}: ${(e as Error).message}`);
          }
        }
        return value !== null && typeof value === 'object' && !(value instanceof Verbatim) ? wrap(value, at) : value;
      },
    });
  return wrap(context, '') as T;
}

/** A rendered file checked in its own format where that is cheap and total (JSON parses back). */
export function checkRendered(content: string, format: Format): void {
  if (format === 'json') JSON.parse(content);
}

/**
 * systemd's escaping of a name inside a unit name (`systemd-escape`): `-` separates path
 * components, so a `-` in an interface name becomes `\x2d`.
 */
export function systemdNameEscape(name: string): string {
  return [...Buffer.from(name, 'utf8')]
    .map((b, i) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9:_]/.test(c) || (c === '.' && i > 0) ? c : `\\x${b.toString(16).padStart(2, '0')}`;
    })
    .join('');
}
