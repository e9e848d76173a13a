// Recorded segments as the recorder names them (20261203T100000Z.ts: its UTC start) and the choice
// of those a time range needs. Pure: `clip` and `status` hand in what the Pi listed.

export interface RecordedSegment {
  name: string;
  bytes: number;
  /** Its start, ms since the epoch (from its name). */
  start: number;
}

const segmentName = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z\.ts$/;

/** A segment's start from its name, or undefined for a file that is not the recorder's. */
export function segmentStart(name: string): number | undefined {
  const m = segmentName.exec(name);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

export interface ClipPlan {
  segments: RecordedSegment[];
  /** Seconds into the first segment the clip starts at. */
  fromS: number;
  durationS: number;
}

/**
 * The segments covering [from, to), oldest first: each runs until the next one starts (the last
 * until `now`). Undefined when none does. A gap (the recorder was stopped) is simply not in the clip.
 */
export function planClip(segments: readonly RecordedSegment[], from: number, to: number, now: number): ClipPlan | undefined {
  const sorted = [...segments].sort((a, b) => a.start - b.start);
  const chosen = sorted.filter((s, i) => s.start < to && (sorted[i + 1]?.start ?? now) > from);
  const first = chosen[0];
  if (!first) return undefined;
  return { segments: chosen, fromS: Math.max(0, from - first.start) / 1000, durationS: (to - Math.max(from, first.start)) / 1000 };
}

/**
 * A time as `clip` takes it: ISO 8601 (2026-12-03T10:00, seconds optional), UTC unless it carries
 * an offset; or a time of day alone (10:05), on the day of `day` (the range's start).
 */
export function parseClipTime(text: string, day?: number): number | undefined {
  let iso = text;
  if (/^\d\d:\d\d(:\d\d)?$/.test(text)) {
    if (day === undefined) return undefined;
    iso = `${new Date(day).toISOString().slice(0, 10)}T${text}`;
  }
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?$/.test(iso)) return undefined;
  if (!/(Z|[+-]\d\d:\d\d)$/.test(iso)) iso += 'Z';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}
