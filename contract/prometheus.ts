// Prometheus's text exposition format (version 0.0.4): metric families with HELP and TYPE lines,
// then their samples. The one place label values and help texts are escaped, and names checked.
// Pure and dependency-free: bundled into the streamer, and used by the provisioner for the file
// nginx serves while the streamer is down.

export const expositionContentType = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'gauge' | 'counter';

export interface Sample {
  labels?: Readonly<Record<string, string>>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  /** None: the family is left out whole (a value camfleet cannot read is not exported as 0). */
  samples: readonly Sample[];
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value inside its double quotes: backslash, double quote and line feed escaped. */
export const escapeLabelValue = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** A HELP text: backslash and line feed escaped (quotes need none there). */
export const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** Go's float spelling, which Prometheus parses: NaN, +Inf, -Inf. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Readonly<Record<string, string>> | undefined, family: string): string {
  const entries = Object.entries(labels ?? {});
  if (!entries.length) return '';
  for (const [name] of entries) if (!labelName.test(name) || name.startsWith('__')) throw new Error(`metric ${family}: bad label name ${JSON.stringify(name)}`);
  return `{${entries.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

/** The exposition text of `families`, in their order; families without samples are left out. */
export function exposition(families: readonly MetricFamily[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const f of families) {
    if (!metricName.test(f.name)) throw new Error(`bad metric name ${JSON.stringify(f.name)}`);
    if (seen.has(f.name)) throw new Error(`metric ${f.name} given twice`);
    seen.add(f.name);
    if (!f.samples.length) continue;
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) lines.push(`${f.name}${formatLabels(s.labels, f.name)} ${formatValue(s.value)}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
