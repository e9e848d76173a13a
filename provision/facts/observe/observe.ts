// Observe a host: one round trip for every fact, and a second only when diffs need old contents.
import { HostError } from '../../transport/host-error.ts';
import type { Remote } from '../../transport/remote.ts';
import type { ObservedState } from '../../core/types.ts';
import { contentsScript, parseContents } from './contents.ts';
import { parseObserved } from './parse.ts';
import { observeScript, type ObserveQuery } from './script.ts';

export async function observeHost(remote: Remote, desired: ObserveQuery): Promise<ObservedState> {
  const r = await remote.run(observeScript(desired));
  if (r.code !== 0) throw new HostError(remote.host, 'observe', `fact gathering exited with ${r.code}`, r.stderr);
  const observed = parseObserved(r.stdout, desired);
  if (observed.os.id === 'unknown') throw new HostError(remote.host, 'observe', 'the host answered, but not like a Debian system', r.stderr || r.stdout);
  return observed;
}

export async function fetchContents(remote: Remote, paths: string[]): Promise<Record<string, string>> {
  if (paths.length === 0) return {};
  const r = await remote.run(contentsScript(paths));
  if (r.code !== 0) throw new HostError(remote.host, 'observe file contents', `exited with ${r.code}`, r.stderr);
  return parseContents(r.stdout);
}
