// ssh(1) arguments for a lab Pi: the lab's operator key and known_hosts, strict host-key checking.
import { labKnownHosts, operatorKeyPath, type LabHost } from './state.ts';

export function sshArgs(host: LabHost, command: string[] = []): string[] {
  return [
    '-i', operatorKeyPath,
    '-o', `UserKnownHostsFile=${host.knownHostsFile ?? labKnownHosts}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'LogLevel=ERROR',
    '-p', String(host.sshPort),
    `${host.user ?? 'pi'}@${host.address}`,
    ...command,
  ];
}
