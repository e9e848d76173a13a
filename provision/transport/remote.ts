// How camfleet talks to a host: every remote action is a POSIX shell script sent on stdin to
// `sh -s` (through `sudo -n` unless we are root), so no value is ever spliced into an ssh command
// line. The scripts are .sh files (remote-scripts.ts); their values go in front of them, quoted
// once by `q` (POSIX single-quote shell quoting), never into their text.

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
  /** The signal that ended the remote command, when one did (then code is null). */
  signal?: string | null;
}

/** A script left running by `hold`: held once it printed its first line, or its result if it ended before. */
export type Held = { held: true } | { held: false; result: ExecResult };

/** A connection to one host. The SSH implementation lives in ssh.ts; tests may use a local shell. */
export interface Remote {
  host: string;
  /** Run a script as root on the host. Throws ConnectionLost when the connection goes away meanwhile. */
  run(script: string): Promise<ExecResult>;
  /**
   * Start a script as root that runs until close() (or the connection dies): its input stays open
   * and gets a newline every `heartbeatMs`, a sign of life. Resolves once it prints its first line.
   */
  hold(script: string): Promise<Held>;
  close(): Promise<void>;
}

/** How often a held script hears from its run (lock.sh gives up after a few missed). */
export const heartbeatMs = 5000;

/** Quote one value for a POSIX shell. */
export function q(value: string | number): string {
  const s = String(value);
  // zx's quote uses bash's $'...' for unusual characters; plain single quotes are portable to dash.
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface ScriptValues {
  /** Shell variables the script reads as "$NAME" (upper case: shellcheck takes them as given from outside). */
  env?: Record<string, string | number>;
  /** The script's arguments, "$1" ... "$N". */
  args?: readonly (string | number)[];
}

/**
 * A script file's text with its values put in front: one `NAME='value'` line each and
 * `set -- 'arg' ...`. The login's $SSH_CONNECTION, which `sh -s` receives as $1 (sudo drops the
 * environment), is kept as $SSH_CONNECTION first.
 */
export function withValues(script: string, values: ScriptValues = {}): string {
  const lines = ['SSH_CONNECTION=${1:-}'];
  for (const [name, value] of Object.entries(values.env ?? {})) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`not a script variable name: ${name}`);
    lines.push(`${name}=${q(value)}`);
  }
  lines.push(['set --', ...(values.args ?? []).map(q)].join(' '));
  return `${lines.join('\n')}\n${script}`;
}

/** Names a script splits on spaces ("$PACKAGES"): each must be one word, with nothing a shell would expand. */
export function wordList(names: readonly string[]): string {
  for (const n of names) if (!/^[A-Za-z0-9@_.:+-]+$/.test(n)) throw new Error(`not a plain name for a shell word list: ${JSON.stringify(n)}`);
  return names.join(' ');
}

/**
 * File name patterns a script splits on spaces and matches with `case` or a glob in one folder
 * (`*.ts`): plain names with * and ? only, no folder, nothing else a shell would expand.
 */
export function patternList(patterns: readonly string[]): string {
  for (const p of patterns) if (!/^[A-Za-z0-9@_.:+*?-]+$/.test(p)) throw new Error(`not a plain file name pattern: ${JSON.stringify(p)}`);
  return patterns.join(' ');
}

/** Paths a script reads one a line (IFS set to a newline, globbing off): none may hold a newline. */
export function lineList(paths: readonly string[]): string {
  for (const p of paths) if (p.includes('\n') || p === '') throw new Error(`not a path for a shell line list: ${JSON.stringify(p)}`);
  return paths.join('\n');
}

