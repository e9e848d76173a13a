import { wordList } from '../../../transport/remote.ts';
import { fields, type Fact } from '../fact.ts';

/** Which of the desired packages dpkg has installed; dpkg's own line gives the system's architecture. */
export const packages: Fact = {
  name: 'packages',
  env: (query) => ({ PACKAGES: wordList(query.packages) }),
  parse(lines, observed) {
    for (const line of lines) {
      const [name, status = '', arch = ''] = fields(line);
      if (name === 'dpkg') observed.os = { ...observed.os, arch };
      // "ii " = desired install, installed; anything else (rc, un, half-installed) needs apt.
      if (name && name in observed.packages) observed.packages[name] = status.startsWith('ii');
    }
  },
};
