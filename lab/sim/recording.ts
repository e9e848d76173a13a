// The recorded answer of a real, converged lab Pi to camfleet's observe step, which every
// simulated host replays. It is only valid for the observe script it answered: the recording
// carries that script's hash, and a simulated fleet refuses to start once camfleet would send a
// different script, or once the answer no longer reads as converged to today's planner.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseObserved } from '../../provision/facts/observe/parse.ts';
import { observeScript } from '../../provision/facts/observe/script.ts';
import { describeStep } from '../../provision/core/plan/describe.ts';
import { makePlan } from '../../provision/core/plan/plan.ts';
import { changeCount } from '../../provision/core/plan/steps.ts';
import { sha256 } from '../../provision/core/plan/files.ts';
import type { DesiredState } from '../../provision/core/types.ts';

/** The committed recording; CAMFLEET_SIM_RECORDING points elsewhere (tests of the staleness refusal). */
export const recordingFile = process.env.CAMFLEET_SIM_RECORDING ?? join(import.meta.dirname, 'converged-pi.json');
export const recordCommand = 'flock /tmp/camfleet-lab.lock npm run sim -- record';

export interface Recording {
  /** Which Pi answered, and how it had been brought there. */
  recordedFrom: string;
  recordedAt: string;
  /** sha256 of the exact observe script the Pi was sent (the simulated hosts' key to it). */
  observeScriptSha256: string;
  /** That script, so a refusal can show what changed since. */
  observeScript: string;
  /** The Pi's answer, byte for byte as sshd delivered it. */
  answer: { code: number; stdout: string; stderr: string };
}

export const scriptHash = (script: string): string => createHash('sha256').update(script).digest('hex');

/** The simulated fleet cannot answer as camfleet expects: re-record, don't work around it. */
export class StaleRecordingError extends Error {
  override name = 'StaleRecordingError';
}

export function readRecording(file = recordingFile): Recording {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new StaleRecordingError(`no recorded Pi answer at ${file}: record one from a lab Pi with \`${recordCommand}\``);
  }
  return JSON.parse(text) as Recording;
}

/**
 * The answer every simulated host gives camfleet, checked against what camfleet does today.
 * The sha256sum lines are the one part of a converged Pi's answer that follows from what camfleet
 * renders (a template or the streamer changes, and a converged Pi holds the new bytes): they are
 * set to today's render's checksums. Everything else is replayed as the Pi said it.
 */
export function replayAnswer(recording: Recording, desired: DesiredState): Recording['answer'] {
  const script = observeScript(desired);
  const hash = scriptHash(script);
  if (hash !== recording.observeScriptSha256)
    throw new StaleRecordingError(
      `STALE RECORDING: camfleet's observe script changed since the simulated Pi's answer was recorded ` +
        `(${recording.recordedAt}, script sha256 ${recording.observeScriptSha256.slice(0, 12)}; camfleet now sends ${hash.slice(0, 12)}).\n` +
        `${scriptChanges(recording.observeScript, script)}\n` +
        `Replaying the old answer would measure a conversation camfleet no longer has. Record it again from a lab Pi:\n  ${recordCommand}`,
    );
  const checksums = new Map(desired.files.map((f) => [f.path, sha256(f.content)]));
  const stdout = recording.answer.stdout.replace(/^([0-9a-f]{64})( [ *])(.+)$/gm, (line, _old: string, sep: string, path: string) => {
    const now = checksums.get(path);
    return now ? `${now}${sep}${path}` : line;
  });
  const answer = { ...recording.answer, stdout };
  const plan = makePlan(desired, parseObserved(stdout, desired));
  if (answer.code !== 0 || plan.steps.length)
    throw new StaleRecordingError(
      `STALE RECORDING: the recorded answer no longer reads as a converged Pi to camfleet's planner ` +
        `(exit ${answer.code}; ${changeCount(plan)} change(s): ${plan.steps.map(describeStep).join('; ')}).\n` +
        `Record it again from a lab Pi:\n  ${recordCommand}`,
    );
  return answer;
}

/** The lines that differ between the recorded and today's script, at most a few of each. */
function scriptChanges(before: string, after: string): string {
  const a = new Set(before.split('\n'));
  const b = new Set(after.split('\n'));
  const gone = [...a].filter((l) => !b.has(l)).slice(0, 5);
  const added = [...b].filter((l) => !a.has(l)).slice(0, 5);
  return [...gone.map((l) => `  - ${l}`), ...added.map((l) => `  + ${l}`)].join('\n') || '  (only the order of lines changed)';
}
