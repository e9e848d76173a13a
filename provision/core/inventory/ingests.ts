// relay.ingests: the external ingests (YouTube Live, Twitch, a CDN) a camera's stream is copied to.
// Resolved here (the key from its secret, a private CA's file read), then checked by checkIngests
// at the line that set each: a URL is rtmp:// or rtmps:// host[:port]/application and never holds
// the key; two ingests are never the same. A key is never quoted back, only what is wrong with it.
import type { Problem } from '../errors.ts';
import type { Ingest } from '../types.ts';
import type { InventoryDocument, YamlPath } from './document.ts';
import { isSecretRef, resolveSecret, type SecretSources } from './secrets.ts';

/** What a key may hold: it is the last part of a URL path (no `/`, no space, quote, `\` or `#`). */
export const ingestKeyPattern = /^[A-Za-z0-9._~!$&()*+,;=:@%?-]{1,512}$/;

const defaultPorts: Record<string, number> = { 'rtmp:': 1935, 'rtmps:': 443 };
const urlForm = 'write it as rtmp://host[:port]/application or rtmps://host[:port]/application';

export interface IngestResolution {
  ingests: Ingest[];
  problems: Problem[];
  /** Resolved keys: never printed. */
  secrets: string[];
  /** Ingests whose key could not be resolved (already reported): their key is left unchecked. */
  failed: Set<string>;
}

/**
 * The merged relay.ingests (name -> settings, or null where a layer dropped one) as Ingests.
 * `at(name)` is where that ingest was set.
 */
export function resolveIngests(
  doc: InventoryDocument,
  merged: unknown,
  at: (name: string) => YamlPath,
  inventoryDir: string,
  sources: SecretSources,
): IngestResolution {
  const out: IngestResolution = { ingests: [], problems: [], secrets: [], failed: new Set() };
  for (const [name, raw] of Object.entries((merged ?? {}) as Record<string, Record<string, unknown> | null>)) {
    if (raw === null) continue;
    let key = '';
    if (isSecretRef(raw.key)) {
      const r = resolveSecret(raw.key, inventoryDir, sources);
      if (r.ok) (key = r.value), out.secrets.push(r.value);
      else out.failed.add(name), out.problems.push(doc.problem([...at(name), 'key'], r.message));
    }
    const ingest: Ingest = { name, url: String(raw.url), key, audio: raw.audio === 'silent' ? 'silent' : 'none' };
    if (typeof raw.caFile === 'string') {
      const read = resolveSecret({ file: raw.caFile }, inventoryDir, sources);
      if (!read.ok) out.problems.push(doc.problem([...at(name), 'caFile'], read.message.replace(/^secret: /, 'caFile: ')));
      else if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(read.value)) out.problems.push(doc.problem([...at(name), 'caFile'], `caFile: ${raw.caFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`));
      else ingest.ca = `${read.value.trim()}\n`;
    }
    out.ingests.push(ingest);
  }
  return out;
}

/** The URL's faults, the key's, and two ingests that are one: each at the line that set it. */
export function checkIngests(doc: InventoryDocument, ingests: readonly Ingest[], at: (name: string) => YamlPath, failed: ReadonlySet<string>): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, string>();
  for (const i of ingests) {
    const bad = (field: string, message: string) => problems.push(doc.problem([...at(i.name), field], message));
    const fault = urlFault(i.url, i.key);
    if (fault) bad('url', fault);
    if (!failed.has(i.name) && i.key && !ingestKeyPattern.test(i.key))
      bad('key', i.key.length > 512 ? `secret: the stream key it holds has ${i.key.length} characters; at most 512` : 'secret: the stream key it holds may not contain spaces, /, quotes, \\, # or control characters');
    if (i.ca && !i.url.startsWith('rtmps://')) bad('caFile', 'caFile verifies an rtmps:// ingest: this one is rtmp:// (no TLS)');
    if (fault || !i.key) continue;
    const same = `${canonical(i.url)} ${i.key}`;
    const other = seen.get(same);
    if (other) bad('url', `the same ingest as '${other}' (same URL and key): the service would get the stream twice`);
    else seen.set(same, i.name);
  }
  return problems;
}

/** What is wrong with an ingest URL, if anything. */
function urlFault(text: string, key: string): string | undefined {
  if (!/^[\x21-\x7e]+$/.test(text)) return `must be printable ASCII without spaces: ${urlForm}`;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return `is not a URL: ${urlForm}`;
  if (scheme !== 'rtmp' && scheme !== 'rtmps') return `unknown scheme '${scheme}://': an ingest takes RTMP, ${urlForm}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `is not a URL: ${urlForm}`;
  }
  if (key && text.includes(key)) return 'holds the stream key itself: give the URL without it, and the key as key: { env: NAME } or { file: path }';
  if (url.username || url.password) return 'holds a user name or password: give only host[:port]/application';
  if (url.search || url.hash || text.includes('?') || text.includes('#')) return 'holds a query or fragment (?... or #...): a key or token goes in key, from a secret';
  if (!url.hostname) return `names no host: ${urlForm}`;
  const segments = url.pathname.split('/').filter(Boolean);
  if (segments.length === 0) return `names no application (e.g. rtmps://a.rtmps.youtube.com/live2): ${urlForm}`;
  // A key pasted along with the URL: a long segment after the application, letters mixed with digits.
  const keyLike = segments.slice(1).find((s) => s.length >= 16 && /[A-Za-z]/.test(s) && /[0-9]/.test(s));
  if (keyLike) return `looks like it holds a stream key (its path ends in ${keyLike.length} characters of letters and digits): give the URL without it, and the key as key: { env: NAME } or { file: path }`;
  return undefined;
}

/** Two spellings of one ingest compare equal: scheme and host in lower case, the default port, no trailing slash. */
function canonical(text: string): string {
  const url = new URL(text);
  const port = url.port || String(defaultPorts[url.protocol] ?? '');
  return `${url.protocol}//${url.hostname.toLowerCase()}:${port}${url.pathname.replace(/\/+$/, '')}`;
}
