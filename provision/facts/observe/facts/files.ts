import { managedMarker } from '../../../core/types.ts';
import { fields, type Fact } from '../fact.ts';

const sha256sumLine = /^([0-9a-f]{64}) [ *](.+)$/;

/**
 * Each managed file's checksum, mode, owner and camfleet's marker; a missing one is null. The
 * files to look at are the script's arguments (script.ts), the files and the absent ones.
 */
export const files: Fact = {
  name: 'files',
  env: () => ({ MARKER: managedMarker }),
  parse(lines, observed) {
    for (const line of lines) {
      const sum = sha256sumLine.exec(line);
      if (sum) {
        observed.files[sum[2]!] = { sha256: sum[1]!, mode: 0, owner: '', group: '', managed: false };
        continue;
      }
      const [kind, path = '', ...f] = fields(line);
      const file = observed.files[path];
      if (kind === '-' && path) observed.files[path] = null;
      else if (kind === 'meta' && file) Object.assign(file, { mode: parseInt(f[0] ?? '0', 8), owner: f[1] ?? '', group: f[2] ?? '' });
      else if (kind === 'managed' && file) file.managed = true;
    }
  },
};
