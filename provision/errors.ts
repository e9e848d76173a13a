// Errors are values with a place. They are built deep inside camfleet and rendered once, at the edge.

/** One thing wrong with the input, with where it is. */
export interface Problem {
  file?: string;
  line?: number;
  col?: number;
  /** Dotted path inside the inventory, e.g. hosts.pi2.camera.fps */
  path?: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  const where = p.file ? `${p.file}${p.line ? `:${p.line}:${p.col ?? 1}` : ''}` : '';
  return [where, p.path ? `${p.path}:` : '', p.message].filter(Boolean).join(' ');
}

/** The inventory is unusable; every problem found is listed, not just the first. */
export class InventoryError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'InventoryError';
  }
}

/** A failure on one host during one step, carrying the remote command's stderr. */
export class HostError extends Error {
  constructor(
    readonly host: string,
    readonly step: string,
    message: string,
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'HostError';
  }

  describe(): string {
    const detail = this.stderr.trim() ? `\n  ${this.stderr.trim().split('\n').slice(-12).join('\n  ')}` : '';
    return `${this.host}: ${this.step}: ${this.message}${detail}`;
  }
}

/**
 * The SSH connection went away while a step ran (link cut, sshd killed, Pi lost power). The step may
 * have finished on the Pi, or be finishing there still, or have been cut short: camfleet cannot
 * know which, but every step is written to be run again, so the next run converges from whatever
 * the Pi now has.
 */
export class ConnectionLost extends HostError {
  constructor(
    host: string,
    step: string,
    readonly reason: string,
  ) {
    super(
      host,
      step,
      `the SSH connection was lost during this step (${reason}); the Pi may still be running it. ` +
        'Run camfleet again once the Pi is reachable: it looks at the Pi afresh and converges from there',
    );
    this.name = 'ConnectionLost';
  }

  /** The same loss, named after the step it interrupted. */
  during(step: string): ConnectionLost {
    return new ConnectionLost(this.host, step, this.reason);
  }
}

/** The host could not be reached at all (refused, timeout, host key mismatch). */
export class UnreachableError extends HostError {
  constructor(host: string, message: string) {
    super(host, 'connect', message);
    this.name = 'UnreachableError';
  }
}

/** A usage mistake on the command line. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Replace every secret value in text with a mask, longest first so overlapping secrets stay hidden. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].filter(Boolean).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join('********');
  }
  return out;
}
