// One fact about a host: a small shell snippet (facts/<name>.sh) and the parser of what it prints.
// Every fact's snippet runs in the same round trip (script.ts); its output comes back as a section
// of its own, so a parser reads only its own lines, in its tool's own shape.
import type { ObservedState } from '../../core/types.ts';
import type { ObserveQuery } from './query.ts';

export interface Fact {
  /** Its section's name, and its snippet: provision/facts/observe/facts/<name>.sh. */
  name: string;
  /** The shell values its snippet reads, from the query (checked for the shell where they are made). */
  env?(query: ObserveQuery): Record<string, string>;
  /** Reads its section's lines into the observed state. Pure; never throws on odd lines. */
  parse(lines: readonly string[], observed: ObservedState, query: ObserveQuery): void;
}

/** A line's tab-separated fields. */
export const fields = (line: string): string[] => line.split('\t');
