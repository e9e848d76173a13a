// The recordings on a Pi (list.sh) and a clip of them (clip.sh): the scripts with this host's values
// and what their output means.
import { withValues } from '../../transport/remote.ts';
import { scriptFile } from '../../transport/remote-scripts.ts';
import { units } from '../../core/render/paths.ts';
import type { ResolvedHost } from '../../core/types.ts';
import { segmentStart, type ClipPlan, type RecordedSegment } from '../../core/recording/segments.ts';

export function listScript(host: ResolvedHost): string {
  return withValues(scriptFile('facts/recordings/list.sh'), { env: { RECORDER_UNIT: units.recorder, RECORDING_PATH: host.recording.path } });
}

export interface Recordings {
  /** camfleet-recorder's state (active, inactive, failed, activating ...). */
  recorder: string;
  segments: RecordedSegment[];
  /** The recordings' filesystem, when the folder exists. */
  disk?: { sizeKb: number; freeKb: number };
}

export function parseRecordings(stdout: string): Recordings {
  const out: Recordings = { recorder: 'unknown', segments: [] };
  for (const line of stdout.split('\n')) {
    const [kind, a = '', b = ''] = line.split('\t');
    if (kind === 'recorder') out.recorder = a;
    if (kind === 'disk') out.disk = { sizeKb: Number(a), freeKb: Number(b) };
    const start = kind === 'segment' ? segmentStart(a) : undefined;
    if (start !== undefined) out.segments.push({ name: a, bytes: Number(b), start });
  }
  return out;
}

export function clipScript(host: ResolvedHost, plan: ClipPlan): string {
  return withValues(scriptFile('facts/recordings/clip.sh'), {
    env: { RECORDING_PATH: host.recording.path, FROM_S: plan.fromS.toFixed(3), DURATION_S: plan.durationS.toFixed(3) },
    args: plan.segments.map((s) => s.name),
  });
}
