// A failure on one host, named after the step it happened in: what the transport, the facts and
// apply throw, and what the report shows (secrets masked at the edge). Values, rendered once.

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
 * the Pi now has. The host was reachable and then was not: it counts as unreachable (exit 4), not
 * as a failed step. `piState` says where the run stood when it was cut: whether the commit that
 * swaps the new files in had happened.
 */
export class ConnectionLost extends HostError {
  constructor(
    host: string,
    step: string,
    readonly reason: string,
    readonly piState?: string,
  ) {
    super(
      host,
      step,
      `the SSH connection was lost during this step (${reason}); the Pi may still be running it. ` +
        (piState ? `${piState}. ` : '') +
        'Run camfleet again once the Pi is reachable: it looks at the Pi afresh and converges from there',
    );
    this.name = 'ConnectionLost';
  }

  /** The same loss, named after the step it interrupted. */
  during(step: string): ConnectionLost {
    return new ConnectionLost(this.host, step, this.reason, this.piState);
  }

  /** The same loss, saying what state it left the Pi in (kept if already said). */
  leaving(piState: string): ConnectionLost {
    return this.piState ? this : new ConnectionLost(this.host, this.step, this.reason, piState);
  }
}

/** The host could not be reached at all (refused, timeout, host key mismatch). */
export class UnreachableError extends HostError {
  constructor(host: string, message: string) {
    super(host, 'connect', message);
    this.name = 'UnreachableError';
  }
}
