import { paths } from '../../../core/render/paths.ts';
import { fields, type Fact } from '../fact.ts';

/** The restarts and reloads an interrupted run committed files for and never carried out. */
export const pending: Fact = {
  name: 'pending',
  env: () => ({ PENDING: paths.pendingRestarts }),
  parse(lines, observed) {
    for (const line of lines) {
      const [action, unit] = fields(line);
      if ((action === 'restart' || action === 'reload') && unit) observed.pending.push({ action, unit });
    }
  },
};
