// A second, optional round trip: the current contents of files that differ, for diffs.
import { withValues } from '../../transport/remote.ts';
import { scriptFile } from '../../transport/remote-scripts.ts';

export function contentsScript(paths: string[]): string {
  return withValues(scriptFile('facts/observe/contents.sh'), { args: paths });
}

export function parseContents(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const [path, b64] = line.split('\t');
    if (path && b64 !== undefined) out[path] = Buffer.from(b64, 'base64').toString('utf8');
  }
  return out;
}
