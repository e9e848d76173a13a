import type { Fact } from '../fact.ts';

/** The host's network interface this SSH connection arrived on (the SSH guard's question). */
export const sshInterface: Fact = {
  name: 'ssh-interface',
  parse(lines, observed) {
    if (lines[0]) observed.sshInterface = lines[0];
  },
};
