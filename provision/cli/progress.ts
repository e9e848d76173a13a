// Progress while hosts run. On a terminal: one screen redrawn in place, whatever the fleet's size —
// counts by state, the slowest hosts in flight, the latest failures. Elsewhere (CI logs, pipes):
// one plain line per event.
import { changeCount } from '../core/plan/steps.ts';
import type { HostResult, Outcome } from '../converge/result.ts';

export interface ProgressView {
  step(host: string, label: string): void;
  done(result: HostResult): void;
  /** Print a line above the live area (a plan, a warning). */
  note(text: string): void;
  close(): void;
}

export interface ProgressOptions {
  /** Hosts in the run, so the live view can say how many wait. */
  total?: number;
}

export function progressView(stream: NodeJS.WriteStream = process.stderr, options: ProgressOptions = {}): ProgressView {
  return stream.isTTY ? liveView(stream, options.total ?? 0) : plainView(stream);
}

export function doneLine(r: HostResult): string {
  const secs = (r.ms / 1000).toFixed(1);
  const changes = r.plan ? changeCount(r.plan) : 0;
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
  // The lines of one tick leave in one write: to a pipe each write is a system call, and a fleet
  // makes a few events per host.
  let pending = '';
  const flush = () => {
    if (pending) stream.write(pending);
    pending = '';
  };
  const line = (text: string) => {
    if (!pending) setImmediate(flush);
    pending += `${text}\n`;
  };
  return {
    step: (host, label) => line(`${host}: ${label}`),
    done: (r) => line(doneLine(r)),
    // A note often comes just before stdout output (a plan): what came before it goes out first.
    note: (text) => {
      pending += `${text}\n`;
      flush();
    },
    close: flush,
  };
}

/** What the live screen shows, kept up to date event by event (no per-host work at draw time but the in-flight ones). */
export interface LiveState {
  total: number;
  startedAt: number;
  inFlight: Map<string, { label: string; since: number }>;
  finished: Partial<Record<Outcome, number>>;
  /** The latest failures, newest last; `failedCount` counts all of them. */
  failures: { host: string; line: string }[];
  failedCount: number;
}

const shownFailures = 5;
const shownSlowest = 3;
const failing: readonly Outcome[] = ['failed', 'rolled back', 'unreachable', 'skipped', 'stale'];

export function newLiveState(total: number, now = performance.now()): LiveState {
  return { total, startedAt: now, inFlight: new Map(), finished: {}, failures: [], failedCount: 0 };
}

export function recordStep(state: LiveState, host: string, label: string, now = performance.now()): void {
  state.inFlight.set(host, { label, since: state.inFlight.get(host)?.since ?? now });
}

export function recordDone(state: LiveState, r: HostResult): void {
  state.inFlight.delete(r.host);
  state.finished[r.outcome] = (state.finished[r.outcome] ?? 0) + 1;
  if (!failing.includes(r.outcome)) return;
  state.failedCount++;
  const reason = r.error?.message.split('\n')[0]!.replace(`${r.host}: `, '') ?? '';
  state.failures.push({ host: r.host, line: `${r.outcome}${reason ? `: ${reason}` : ''}` });
  if (state.failures.length > shownFailures) state.failures.shift();
}

/** The screen: at most `height` lines of at most `width - 1` characters, however many hosts. */
export function liveFrame(state: LiveState, o: { now: number; width: number; height: number; spinner?: string }): string[] {
  const done = Object.values(state.finished).reduce((a, b) => a + b, 0);
  const byOutcome = (Object.entries(state.finished) as [Outcome, number][]).map(([k, v]) => `${v} ${k}`).join(', ');
  const byStep = new Map<string, number>();
  for (const { label } of state.inFlight.values()) byStep.set(label, (byStep.get(label) ?? 0) + 1);
  const steps = [...byStep].map(([k, v]) => `${v} ${k}`).join(', ');
  const waiting = Math.max(0, state.total - done - state.inFlight.size);
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  const lines = [
    `${o.spinner ?? ''}${o.spinner ? ' ' : ''}${done}${state.total ? `/${state.total}` : ''} done${byOutcome ? ` (${byOutcome})` : ''}` +
      ` · ${state.inFlight.size} running${steps ? ` (${steps})` : ''}${state.total ? ` · ${waiting} waiting` : ''} · ${secs(o.now - state.startedAt)}`,
  ];
  const slowest = [...state.inFlight].sort((a, b) => a[1].since - b[1].since).slice(0, shownSlowest);
  if (state.inFlight.size > 1)
    for (const [host, { label, since }] of slowest) lines.push(`  slowest: ${host} ${label} ${secs(o.now - since)}`);
  for (const f of state.failures) lines.push(`  ✗ ${f.host} ${f.line}`);
  if (state.failedCount > state.failures.length) lines.push(`  ✗ … ${state.failedCount - state.failures.length} more (all in the summary)`);
  return lines.slice(0, Math.max(1, o.height - 1)).map((l) => l.slice(0, Math.max(1, o.width - 1)));
}

function liveView(stream: NodeJS.WriteStream, total: number): ProgressView {
  const state = newLiveState(total);
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let frame = 0;
  let drawn = 0;
  const clearing = () => (drawn ? `\x1b[${drawn}A\x1b[0J` : '');
  // One write per redraw, at most ten a second: the cost of showing progress does not grow with
  // the number of hosts or of events.
  const draw = () => {
    const lines = liveFrame(state, { now: performance.now(), width: stream.columns || 100, height: stream.rows || 24, spinner: frames[frame % frames.length] });
    stream.write(`${clearing()}${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  const timer = setInterval(() => (frame++, draw()), 100);
  timer.unref();
  return {
    step: (host, label) => recordStep(state, host, label),
    done: (r) => recordDone(state, r),
    note(text) {
      stream.write(`${clearing()}${text}\n`);
      drawn = 0;
      draw();
    },
    close() {
      clearInterval(timer);
      stream.write(clearing());
      drawn = 0;
    },
  };
}
