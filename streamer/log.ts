// One JSON object per line on stdout: journald keeps each line as one entry, and
// `journalctl -u camfleet-streamer -o cat | jq` reads them back. Secrets never reach the line.

export type LogFields = Record<string, unknown>;

export interface Logger {
  (event: string, fields?: LogFields): void;
}

/** Text to replace before a line is written, e.g. the RTMP URL by its masked form. */
export type Redaction = readonly [secret: string, replacement: string];

export type Redactor = (text: string) => string;

export function createRedactor(redactions: readonly Redaction[]): Redactor {
  const active = redactions.filter(([secret]) => secret.length > 0);
  return (text) => active.reduce((t, [secret, replacement]) => t.split(secret).join(replacement), text);
}

/** A logger writing one JSON line per event to `write` (stdout by default). */
export function createLogger(redact: Redactor = (t) => t, write: (line: string) => void = (l) => void process.stdout.write(l)): Logger {
  return (event, fields = {}) => write(`${redact(JSON.stringify({ time: new Date().toISOString(), event, ...fields }))}\n`);
}
