import type { Fact } from '../fact.ts';

/** The distribution and its version (the architecture is dpkg's: packages.ts). */
export const os: Fact = {
  name: 'os',
  parse(lines, observed) {
    const [id, version = ''] = (lines[0] ?? '').split(' ');
    observed.os = { ...observed.os, id: id || 'unknown', version };
  },
};
