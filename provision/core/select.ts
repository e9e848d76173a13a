// Which hosts a command acts on: --host (repeatable), --group, --all, --limit PATTERN.
// An unknown name is an error listing the close matches, never silently nothing.
import { UsageError } from './errors.ts';
import { editDistance } from './edit-distance.ts';
import { globMatch } from './glob.ts';

export interface Selection {
  hosts?: string[];
  groups?: string[];
  all?: boolean;
  /** Glob over host names (`pi*`, `hall-?`), comma-separated alternatives. */
  limit?: string;
}

export function selectHosts(names: string[], groups: Record<string, string[]>, sel: Selection): string[] {
  const picked = new Set<string>();
  for (const h of sel.hosts ?? []) {
    if (!names.includes(h)) throw new UsageError(`unknown host '${h}'${suggest(h, names)}`);
    picked.add(h);
  }
  for (const g of sel.groups ?? []) {
    const members = groups[g];
    if (!members) throw new UsageError(`unknown group '${g}'${suggest(g, Object.keys(groups))}`);
    members.forEach((m) => picked.add(m));
  }
  if (sel.all) names.forEach((n) => picked.add(n));
  if (!sel.hosts?.length && !sel.groups?.length && !sel.all) {
    if (!sel.limit) throw new UsageError('no hosts selected: use --host NAME, --group NAME, --all or --limit PATTERN');
    names.forEach((n) => picked.add(n));
  }
  let result = names.filter((n) => picked.has(n));
  if (sel.limit) {
    const patterns = sel.limit.split(',').map((p) => p.trim());
    result = result.filter((n) => patterns.some((p) => globMatch(p, n)));
    if (result.length === 0) throw new UsageError(`--limit ${sel.limit} matches no selected host`);
  }
  return result;
}

function suggest(name: string, candidates: string[]): string {
  const close = candidates
    .map((c) => ({ c, d: editDistance(name, c) }))
    .filter(({ c, d }) => d <= Math.max(2, Math.floor(c.length / 3)) || c.startsWith(name) || name.startsWith(c))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map(({ c }) => c);
  return close.length ? ` — did you mean ${close.join(', ')}?` : candidates.length ? ` (known: ${candidates.slice(0, 8).join(', ')}${candidates.length > 8 ? ', ...' : ''})` : '';
}
