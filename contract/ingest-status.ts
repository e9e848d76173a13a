// An external ingest's state on the Pi, as camfleet-ingest.sh (templates/camfleet-ingest.sh.hbs)
// writes it: one file per ingest, `<name>.state`, in its runtime directory, `key=value` a line.
// status reads it over SSH and the streamer's /metrics reads it on the Pi: one parser for both.
// Nothing in it is secret: the script writes the URL without the key and masks every error line.

/** The unit's RuntimeDirectory: gone when the unit stops, so a removed ingest leaves no state. */
export const ingestStateDir = '/run/camfleet-ingest';

export interface IngestState {
  name: string;
  /** The ingest's URL, without the key. */
  target: string;
  /** connecting: ffmpeg started, nothing sent yet; connected: sending; retrying: waiting to start again. */
  state: 'connecting' | 'connected' | 'retrying';
  /** Unix seconds when that state began (connected: when sending began). */
  since: number;
  /** Bytes sent by the ffmpeg run now going (0 while retrying). */
  bytes: number;
  /** ffmpeg runs that ended since the unit started. */
  restarts: number;
  /** Why the last run ended, classified (refused, rejected at publish, TLS, ...), masked. */
  error?: string;
}

const states = new Set(['connecting', 'connected', 'retrying']);

/** One state file's text, or undefined when it is not one (caught mid-write cannot happen: it is renamed into place). */
export function parseIngestState(text: string): IngestState | undefined {
  const f = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) f.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const name = f.get('name');
  const state = f.get('state') ?? '';
  const number = (k: string) => {
    const n = Number(f.get(k));
    return Number.isFinite(n) && n >= 0 ? n : 0;
  };
  if (!name || !states.has(state)) return undefined;
  const error = f.get('error');
  return { name, target: f.get('target') ?? '', state: state as IngestState['state'], since: number('since'), bytes: number('bytes'), restarts: number('restarts'), ...(error ? { error } : {}) };
}
