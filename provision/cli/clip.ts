// `camfleet clip`: a range of a Pi's recordings as one MP4, joined on the Pi without re-encoding
// (clip.sh) and brought back over the same SSH connection.
import { connect } from '../transport/ssh.ts';
import { loadSelected, parse, selectionOptions } from './common.ts';
import { exitCodes } from './exit-codes.ts';
import { UsageError } from '../core/errors.ts';
import { HostError, UnreachableError } from '../transport/host-error.ts';
import { parseClipTime, planClip } from '../core/recording/segments.ts';
import { clipScript, listScript, parseRecordings } from '../facts/recordings/recordings.ts';
import { writeFileWhole } from '../transport/whole-file.ts';

export const clipUsage = `Usage: npm run clip -- --host NAME --from TIME --to TIME --out FILE.mp4 [-i FILE]

Fetches what a Pi recorded between --from and --to as one MP4, joined on the Pi without
re-encoding: it starts at the keyframe at or before --from (at most one keyframe interval early).
TIME is ISO 8601, e.g. 2026-12-03T10:00 or 2026-12-03T10:00:30+01:00 (UTC unless an offset is
given); --to may be a time of day alone (10:05), on --from's day.
Exit status: 0 written, 1 nothing recorded in that range or the Pi failed, 2 bad usage, 4 unreachable.`;

export async function runClipCli(args: string[]): Promise<number> {
  const { values } = parse(args, { ...selectionOptions, from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string', short: 'o' } });
  if (values.help) return console.log(clipUsage), exitCodes.ok;
  if (!values.from || !values.to || !values.out) throw new UsageError('clip needs --from, --to and --out');
  const from = parseClipTime(values.from);
  if (from === undefined) throw new UsageError(`--from ${values.from}: not a time like 2026-12-03T10:00`);
  const to = parseClipTime(values.to, from);
  if (to === undefined) throw new UsageError(`--to ${values.to}: not a time like 2026-12-03T10:05 or 10:05`);
  if (to <= from) throw new UsageError(`--to ${values.to} is not after --from ${values.from}`);
  const inventory = await loadSelected(values);
  if (inventory.hosts.length !== 1) throw new UsageError(`clip takes one host; the selection has ${inventory.hosts.length}`);
  const host = inventory.hosts[0]!;

  const remote = await connect(host).catch((e: Error) => {
    if (e instanceof UnreachableError) console.error(`camfleet: ${e.describe()}`);
    throw e;
  });
  try {
    const listed = parseRecordings((await remote.run(listScript(host))).stdout);
    const plan = planClip(listed.segments, from, to, Date.now());
    if (!plan) {
      console.error(`camfleet: ${host.name}: nothing recorded between ${new Date(from).toISOString()} and ${new Date(to).toISOString()} in ${host.recording.path}`);
      return exitCodes.failed;
    }
    const r = await remote.run(clipScript(host, plan));
    if (r.code !== 0) throw new HostError(host.name, 'clip', `joining ${plan.segments.length} segment(s) failed (exit ${r.code})`, r.stderr);
    const mp4 = Buffer.from(r.stdout.trim(), 'base64');
    await writeFileWhole(values.out, mp4);
    console.log(`${values.out}: ${plan.durationS.toFixed(1)} s from ${host.name} (${plan.segments.length} segment(s) from ${plan.segments[0]!.name}), ${mp4.length} bytes`);
    return exitCodes.ok;
  } finally {
    await remote.close();
  }
}
