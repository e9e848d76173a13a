// A second, optional round trip: the current contents of files that differ, for diffs.
import { q } from '../remote.ts';

export function contentsScript(paths: string[]): string {
  return `${paths.map((p) => `printf '%s\\t%s\\n' ${q(p)} "$(base64 -w0 < ${q(p)})"`).join('\n')}\n`;
}

export function parseContents(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const [path, b64] = line.split('\t');
    if (path && b64 !== undefined) out[path] = Buffer.from(b64, 'base64').toString('utf8');
  }
  return out;
}
