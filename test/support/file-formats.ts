// Readers for every format camfleet renders, written from each format's own rules (not from
// camfleet's escaping), reduced to a skeleton: the sections and keys a file sets, in order. Two
// renders that differ only in values have the same skeleton; an injected key or section shows.
import { metricsPaths } from '../../provision/core/parts/metrics.ts';
import { isUnitFile, paths } from '../../provision/core/render/paths.ts';

export type Skeleton = string[];

/** systemd units: `[Section]`, `Key=Value`, `#`/`;` comments, a trailing unescaped `\` continues the line. */
export function systemdSkeleton(text: string): Skeleton {
  const out: Skeleton = [];
  let section = '';
  let pending = '';
  // systemd reads a line up to NUL or newline (NUL ends it: the rest becomes a line of its own).
  for (const raw of text.split(/[\n\0]/)) {
    let line = pending + raw;
    pending = '';
    if (/^\s*[#;]/.test(line) || !line.trim()) continue;
    let escaped = false;
    for (const c of line) escaped = !escaped && c === '\\';
    if (escaped) {
      pending = `${line.slice(0, -1)} `;
      continue;
    }
    line = line.trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) section = header[1]!;
    else if (line.includes('=')) out.push(`${section}/${line.slice(0, line.indexOf('=')).trim()}`);
    else out.push(`${section}/!malformed`);
  }
  return out;
}

/** GKeyFile (NetworkManager): `[group]`, `key=value`, `#` comments; lines split on newline only. */
export function keyfileSkeleton(text: string): Skeleton {
  const out: Skeleton = [];
  let group = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimStart();
    if (!line || line.startsWith('#')) continue;
    const header = /^\[([^\]]*)\]\s*$/.exec(line);
    if (header) group = header[1]!;
    else if (line.includes('=')) out.push(`${group}/${line.slice(0, line.indexOf('=')).trim()}`);
    else out.push(`${group}/!malformed`);
  }
  return out;
}

/** hostapd and dnsmasq: one `key=value` (dnsmasq also a bare `key`) per line, `#` comments. */
export function lineSkeleton(text: string): Skeleton {
  return text
    .split('\n')
    .filter((l) => l.trim() && !l.trimStart().startsWith('#'))
    .map((l) => (l.includes('=') ? l.slice(0, l.indexOf('=')) : l.trim()))
    // hostapd takes the PSK as a passphrase or as 64 hex digits: one setting under two names.
    .map((k) => (k === 'wpa_psk' ? 'wpa_passphrase' : k));
}

/** nginx: tokens (quoted strings with escapes, `#` comments), `;` ends a directive, braces nest. */
export function nginxSkeleton(text: string): Skeleton {
  const out: Skeleton = [];
  const stack: string[] = [];
  let words: string[] = [];
  let i = 0;
  const flush = (end: string) => {
    if (words.length) out.push(`${[...stack, words[0]].join('/')}(${words.length - 1})${end}`);
  };
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) i++;
    else if (c === '#') while (i < text.length && text[i] !== '\n') i++;
    else if (c === ';') (flush(';'), (words = []), i++);
    else if (c === '{') (flush('{'), stack.push(words[0] ?? '?'), (words = []), i++);
    else if (c === '}') (flush('!unterminated'), stack.pop(), out.push(`}`), (words = []), i++);
    else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      words.push(text.slice(i, j + 1));
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s;{}#"']/.test(text[j]!)) j++;
      words.push(text.slice(i, j));
      i = j;
    }
  }
  flush('!unterminated');
  if (stack.length) out.push('!unclosed');
  return out;
}

/** JSON: every key path and the type of its value. */
export function jsonSkeleton(text: string): Skeleton {
  const out: Skeleton = [];
  const walk = (v: unknown, path: string) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, `${path}/${k}`);
    else out.push(`${path}:${Array.isArray(v) ? 'array' : typeof v}`);
  };
  walk(JSON.parse(text), '');
  return out;
}

/** HTML: the sequence of tags, and each inline JSON block's key paths (a value that closed an element would add tags). */
export function htmlSkeleton(text: string): Skeleton {
  const out: Skeleton = [...text.matchAll(/<\/?([A-Za-z][A-Za-z0-9-]*)/g)].map((m) => m[0].toLowerCase());
  for (const m of text.matchAll(/<script type="application\/json"[^>]*>([^<]*)<\/script>/g)) out.push(...jsonSkeleton(m[1]!));
  return out;
}

/** The skeleton of a file camfleet renders, by where it goes on the Pi. */
/** The stream key file, as the streamer reads it: lines split on newline, `#` comments, one value line. */
/** Prometheus's text format: each line's kind (HELP, TYPE, another comment) and metric name, values and labels dropped. */
export function expositionSkeleton(text: string): Skeleton {
  return text.split('\n').map((line) => (line.startsWith('# HELP ') || line.startsWith('# TYPE ') ? line.split(' ').slice(0, 3).join(' ') : line.startsWith('#') ? '#' : line.split(/[ {]/)[0]!));
}

export function oneLineSkeleton(text: string): Skeleton {
  return text.split('\n').map((line) => (line.startsWith('#') ? '#' : line === '' ? '' : 'value'));
}

export function skeletonOf(path: string, content: string): Skeleton | undefined {
  if (path === paths.streamKey || path === metricsPaths.version) return oneLineSkeleton(content);
  if (path.endsWith('.prom')) return expositionSkeleton(content);
  if (isUnitFile(path)) return systemdSkeleton(content);
  if (path.endsWith('.nmconnection') || path.startsWith('/etc/NetworkManager/')) return keyfileSkeleton(content);
  if (path.startsWith('/etc/hostapd/') || path.startsWith('/etc/dnsmasq')) return lineSkeleton(content);
  if (path.endsWith('nginx.conf')) return nginxSkeleton(content);
  if (path.endsWith('.json')) return jsonSkeleton(content);
  if (path.endsWith('.html')) return htmlSkeleton(content);
  return undefined;
}
