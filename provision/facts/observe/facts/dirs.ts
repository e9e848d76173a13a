import { lineList, patternList } from '../../../transport/remote.ts';
import { fields, type Fact } from '../fact.ts';

/** Of the folders to remove, those that are there, and what each holds beyond its name patterns. */
export const dirs: Fact = {
  name: 'dirs',
  // One folder a line: its path, a tab, then the name patterns of what may go with it.
  env: (query) => ({ ABSENT_DIRS: lineList((query.absentDirs ?? []).map((d) => `${tabFree(d.path)}\t${patternList(d.files)}`)) }),
  parse(lines, observed) {
    for (const line of lines) {
      const [kind, dir, entry] = fields(line);
      if (kind === 'dir' && dir) (observed.dirs ??= {})[dir] ??= [];
      else if (kind === 'holds' && dir && entry) ((observed.dirs ??= {})[dir] ??= []).push(entry);
    }
  },
};

function tabFree(path: string): string {
  if (path.includes('\t') || !path.startsWith('/')) throw new Error(`not an absolute path without tabs: ${JSON.stringify(path)}`);
  return path;
}
