// Errors are values with a place. They are built deep inside camfleet and rendered once, at the edge.
// A failure on a host (a step, a lost connection) is transport/host-error.ts: the core never meets a host.

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
