import { lineList } from '../../../transport/remote.ts';
import type { Fact } from '../fact.ts';

/** Temp files a run staged beside its targets and never committed (a power cut, a lost connection). */
export const leftovers: Fact = {
  name: 'leftovers',
  // Where staging leaves `.<name>.camfleet-XXXXXX` beside each target (stage-file.sh).
  env: (query) => ({ STAGING_DIRS: lineList([...new Set(query.files.map((f) => f.path.slice(0, f.path.lastIndexOf('/')) || '/'))]) }),
  parse(lines, observed) {
    for (const line of lines) if (line) (observed.leftovers ??= []).push(line);
  },
};
