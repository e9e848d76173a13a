// Prometheus's own checker (Debian's prometheus package, .ci/apt-packages): its exit status and
// what it said, for metrics texts, rule files and configs.
import { spawnSync } from 'node:child_process';

export function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool: ${r.error.message} (install prometheus: .ci/apt-packages)`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** `promtool check metrics` on an endpoint's text. */
export const promtoolCheckMetrics = (text: string) => promtool(['check', 'metrics'], text);
