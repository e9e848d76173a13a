import type { ObservedUnit } from '../../../core/types.ts';
import { wordList } from '../../../transport/remote.ts';
import type { Fact } from '../fact.ts';

/** Each desired unit's state, from `systemctl show`'s blocks, each found by a name it carries. */
export const units: Fact = {
  name: 'units',
  env: (query) => ({ UNITS: wordList(query.units.map((u) => u.name)) }),
  parse(lines, observed, query) {
    for (const block of blocks(lines)) {
      // Names= lists the unit's names, aliases too: a unit asked for by an alias is found by it.
      const names = (block.get('Names') ?? '').split(' ');
      for (const { name } of query.units) if (names.includes(name)) observed.units[name] = unitFrom(block);
    }
  },
};

/** Key=Value blocks, blank-line separated. */
function blocks(lines: readonly string[]): Map<string, string>[] {
  const out: Map<string, string>[] = [new Map()];
  for (const line of lines) {
    if (line === '') out.push(new Map());
    const eq = line.indexOf('=');
    if (eq > 0) out.at(-1)!.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out.filter((b) => b.size > 0);
}

/** A unit systemd has never heard of reads as enabled "not-found". */
function unitFrom(block: Map<string, string>): ObservedUnit {
  const enabled = block.get('LoadState') === 'not-found' ? 'not-found' : block.get('UnitFileState') || 'unknown';
  return {
    enabled,
    active: block.get('ActiveState') || 'unknown',
    mainPid: Number(block.get('MainPID') ?? 0),
    ...(block.get('NeedDaemonReload') === 'yes' ? { needsReload: true } : {}),
  };
}
