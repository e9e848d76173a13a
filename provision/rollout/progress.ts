// Progress while hosts run. On a terminal: one live line per host in flight, redrawn in place,
// with finished hosts scrolling above. Elsewhere (CI logs, pipes): one plain line per event.
import type { HostResult } from '../commands/provision-host.ts';

export interface ProgressView {
  step(host: string, label: string): void;
  done(result: HostResult): void;
  /** Print a line above the live area (a plan, a warning). */
  note(text: string): void;
  close(): void;
}

export function progressView(stream: NodeJS.WriteStream = process.stderr): ProgressView {
  return stream.isTTY ? liveView(stream) : plainView(stream);
}

export function doneLine(r: HostResult): string {
  const secs = (r.ms / 1000).toFixed(1);
  const changes = r.plan ? r.plan.steps.length : 0;
  switch (r.outcome) {
    case 'ok':
      return `${r.host}: ok, in sync (${secs}s)`;
    case 'changed':
      return `${r.host}: changed, ${changes} change(s) applied (${secs}s)`;
    case 'pending':
      return `${r.host}: ${changes} change(s) pending (${secs}s)`;
    default:
      return `${r.host}: ${r.outcome}${r.error ? ` — ${r.error.message}` : ''}`;
  }
}

function plainView(stream: NodeJS.WriteStream): ProgressView {
  return {
    step: (host, label) => stream.write(`${host}: ${label}\n`),
    done: (r) => stream.write(`${doneLine(r)}\n`),
    note: (text) => stream.write(`${text}\n`),
    close: () => {},
  };
}

function liveView(stream: NodeJS.WriteStream): ProgressView {
  const inFlight = new Map<string, { label: string; since: number }>();
  let drawn = 0;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let frame = 0;
  const clear = () => {
    if (drawn) stream.write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const draw = () => {
    clear();
    const width = stream.columns || 100;
    for (const [host, { label, since }] of inFlight) {
      const secs = ((performance.now() - since) / 1000).toFixed(0);
      stream.write(`${`${frames[frame % frames.length]} ${host}: ${label} (${secs}s)`.slice(0, width - 1)}\n`);
      drawn++;
    }
  };
  const timer = setInterval(() => (frame++, draw()), 120);
  timer.unref();
  return {
    step(host, label) {
      inFlight.set(host, { label, since: inFlight.get(host)?.since ?? performance.now() });
      draw();
    },
    done(r) {
      inFlight.delete(r.host);
      clear();
      const mark = r.outcome === 'ok' || r.outcome === 'changed' ? '✓' : r.outcome === 'pending' ? '~' : '✗';
      stream.write(`${mark} ${doneLine(r)}\n`);
      draw();
    },
    note(text) {
      clear();
      stream.write(`${text}\n`);
      draw();
    },
    close() {
      clearInterval(timer);
      clear();
    },
  };
}
