// Parse the observe script's answer into an ObservedState. Pure. The answer is one section per
// fact, each opened by its "@fact <name>" line (script.ts); each fact's parser reads its own.
import type { ObservedState } from '../../core/types.ts';
import { facts } from './facts.ts';
import type { ObserveQuery } from './query.ts';
import { sectionMark } from './script.ts';

export function parseObserved(stdout: string, query: Pick<ObserveQuery, 'packages' | 'units'> & Partial<ObserveQuery>): ObservedState {
  const observed: ObservedState = {
    os: { id: 'unknown', version: '', arch: '' },
    packages: Object.fromEntries(query.packages.map((p) => [p, false])),
    files: {},
    units: {},
    camera: false,
    h264Encoders: [],
    pending: [],
  };
  const sections = sectionsOf(stdout);
  for (const fact of facts) {
    const lines = sections.get(fact.name);
    if (lines) fact.parse(lines, observed, query as ObserveQuery);
  }
  return observed;
}

/** Each section's lines by its fact's name; anything before the first section is not a fact. */
export function sectionsOf(stdout: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    if (line.startsWith(sectionMark)) sections.set(line.slice(sectionMark.length), (current = []));
    else current?.push(line);
  }
  return sections;
}
