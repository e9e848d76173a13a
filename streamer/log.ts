// One JSON object per line on stdout: journald keeps each line as one entry, and
// `journalctl -u camfleet-streamer -o cat | jq` reads them back. Secrets never reach the line.

export type LogFields = Record<string, unknown>;

export interface Logger {
  (event: string, fields?: LogFields): void;
}

/** Masks secrets in a line before it is written (the RTMP URL's key: the contract's redactUrl). */
export type Redactor = (text: string) => string;

/** A logger writing one JSON line per event to `write` (stdout by default). */
export function createLogger(redact: Redactor = (t) => t, write: (line: string) => void = (l) => void process.stdout.write(l)): Logger {
  return (event, fields = {}) => write(`${redact(JSON.stringify({ time: new Date().toISOString(), event, ...fields }))}\n`);
}
