// Files: write what is missing or differs (content, mode, owner), remove what camfleet once wrote
// and no longer wants. Old contents are only needed for diffs, so they are optional.
import { createHash } from 'node:crypto';
import type { DesiredState, ObservedState, Step } from '../types.ts';
import { unifiedDiff } from './diff.ts';

export type FileStep = Extract<Step, { kind: 'write-file' } | { kind: 'remove-file' }>;

// The large files (the streamer bundle, the viewer page's player) are one shared string for every
// host of a run: hash each once, not once per host (0.6 MB a host, a second of CPU at 1,000 hosts).
const largeChecksums = new Map<string, string>();
const large = 64 * 1024;

export function sha256(content: string): string {
  const cached = content.length >= large ? largeChecksums.get(content) : undefined;
  if (cached) return cached;
  const sum = createHash('sha256').update(content).digest('hex');
  if (content.length >= large) {
    // A long-lived process (a benchmark rendering many versions) must not keep every one.
    if (largeChecksums.size >= 16) largeChecksums.clear();
    largeChecksums.set(content, sum);
  }
  return sum;
}

export function planFiles(desired: DesiredState, observed: ObservedState, oldContents: Record<string, string> = {}): FileStep[] {
  const steps: FileStep[] = [];
  for (const file of desired.files) {
    const seen = observed.files[file.path] ?? null;
    const contentDiffers = !seen || seen.sha256 !== sha256(file.content);
    const metaDiffers = !!seen && (seen.mode !== file.mode || seen.owner !== file.owner || seen.group !== file.group);
    if (!contentDiffers && !metaDiffers) continue;
    const action = !seen ? 'create' : contentDiffers ? 'update' : 'metadata';
    const before = seen ? oldContents[file.path] ?? null : null;
    // Without the old content (not fetched) an update still shows the new file, never a wrong diff.
    const diff =
      action === 'metadata' ? '' : seen && before === null ? '(previous content not fetched)\n' : unifiedDiff(file.path, before, file.content, desired.secrets, !!file.sensitive);
    steps.push({ kind: 'write-file', path: file.path, action, diff, file });
  }
  for (const { path } of desired.absent) {
    if (observed.files[path]?.managed) steps.push({ kind: 'remove-file', path });
  }
  return steps;
}
