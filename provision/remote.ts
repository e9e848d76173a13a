// How camfleet talks to a host: every remote action is a POSIX shell script sent on stdin to
// `sh -s` (through `sudo -n` unless we are root), so no value is ever spliced into an ssh command
// line, and every value inside a script goes through `q` (POSIX single-quote shell quoting).

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
  /** The signal that ended the remote command, when one did (then code is null). */
  signal?: string | null;
}

/** A connection to one host. The SSH implementation lives in apply/ssh.ts; tests may use a local shell. */
export interface Remote {
  host: string;
  /** Run a script as root on the host. Throws ConnectionLost when the connection goes away meanwhile. */
  run(script: string): Promise<ExecResult>;
  close(): Promise<void>;
}

/** Quote one value for a POSIX shell. */
export function q(value: string | number): string {
  const s = String(value);
  // zx's quote uses bash's $'...' for unusual characters; plain single quotes are portable to dash.
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A file's content carried inside a script, safe for any bytes and any delimiter. */
export function heredocBase64(content: string, redirect: string): string {
  const b64 = Buffer.from(content, 'utf8').toString('base64').replace(/.{1,76}/g, '$&\n');
  // The redirection goes on the command line: after the terminator it would not end the here-doc.
  return `base64 -d ${redirect} <<'CAMFLEET_B64'\n${b64}CAMFLEET_B64`;
}

