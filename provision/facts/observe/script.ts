// The fact-gathering round trip: observe.sh, then every fact's snippet as a shell function called
// under a line naming its section, with this host's values. Pure apart from reading the script
// files once: the query in, the script text out.
import { withValues } from '../../transport/remote.ts';
import { scriptFile } from '../../transport/remote-scripts.ts';
import { facts } from './facts.ts';
import type { ObserveQuery } from './query.ts';

export { observeQuery, type ObserveQuery } from './query.ts';

/** The line that opens a fact's section of the answer. */
export const sectionMark = '@fact ';

const functionName = (name: string) => `fact_${name.replaceAll('-', '_')}`;

export function observeScript(query: ObserveQuery): string {
  const parts = [scriptFile('facts/observe/observe.sh')];
  for (const fact of facts) parts.push(`${functionName(fact.name)}() {\n${scriptFile(`facts/observe/facts/${fact.name}.sh`)}}\n`);
  for (const fact of facts) parts.push(`echo '${sectionMark}${fact.name}'\n${functionName(fact.name)} "$@"\n`);
  parts.push('exit 0\n');
  return withValues(parts.join(''), {
    env: Object.assign({}, ...facts.map((f) => f.env?.(query) ?? {})) as Record<string, string>,
    // The files the `files` fact looks at: those to write and those to remove.
    args: [...query.files.map((f) => f.path), ...query.absent.map((a) => a.path)],
  });
}
