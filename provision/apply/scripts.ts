// The script for each kind of step: a .sh file beside this module with the step's values in front
// of it (transport/remote.ts withValues), so no value is spliced into shell text. Pure apart from reading
// the script files once.
import { patternList, withValues, wordList } from '../transport/remote.ts';
import { scriptFile } from '../transport/remote-scripts.ts';
import { managedMarker, type ManagedFile, type OwedAction, type Rollback, type Step } from '../core/types.ts';
import { paths, units } from '../core/render/paths.ts';
import { missingDeviceGraceSeconds } from '../core/plan/gate.ts';

const script = (name: string, values: Parameters<typeof withValues>[1]) => withValues(scriptFile(`apply/${name}.sh`), values);
const mode = (file: ManagedFile) => file.mode.toString(8);

/** Install packages non-interactively; waits for the dpkg lock; refreshes stale lists once and retries. */
export function installPackagesScript(packages: string[]): string {
  return script('install-packages', { args: packages });
}

/** Write a file's new content to a temp file beside it (same filesystem, so the later rename is atomic). */
export function stageFileScript(file: ManagedFile): string {
  return script('stage-file', {
    env: { CONTENT: Buffer.from(file.content, 'utf8').toString('base64') },
    args: [file.path, `${file.owner}:${file.group}`, mode(file)],
  });
}

/** The checker each kind of validated file goes through, as the operator would run it. */
export const validators = { nginx: 'nginx -t', systemd: 'systemd-analyze verify' } as const;

/** Check a staged file with the tool that will read it, before it replaces anything. */
export function validateScript(kind: 'nginx' | 'systemd', staged: string, path: string): string {
  return kind === 'nginx' ? script('validate-nginx', { args: [staged] }) : script('validate-systemd', { args: [staged, path] });
}

export function discardScript(staged: string[]): string {
  return script('discard', { args: staged });
}

/**
 * Swap every staged file into place in one go, after noting which restarts are owed: if the
 * connection drops before they run, the next run's observe finds the note and owes them still.
 */
export function commitScript(moves: { staged: string; path: string }[], metadata: ManagedFile[], owed: readonly OwedAction[], note: string, keepPrevious = false): string {
  return script('commit', {
    env: { OWED: owedLines(owed), PENDING: note },
    args: [
      // The previous versions are kept (hard links) before any file is replaced.
      ...(keepPrevious ? moves.flatMap((m) => ['prev', m.path, keptVersion(m.path)]) : []),
      ...moves.flatMap((m) => ['move', m.staged, m.path]),
      ...metadata.flatMap((f) => ['meta', f.path, `${f.owner}:${f.group}`, mode(f)]),
    ],
  });
}

const owedLines = (owed: readonly OwedAction[]) => owed.map((o) => `${o.action}\t${o.unit}`).join('\n');

/** Where the commit keeps a replaced file's previous version for the rollback: beside it, hidden, so nothing that reads the folder takes it up. */
export function keptVersion(path: string): string {
  const at = path.lastIndexOf('/');
  return `${path.slice(0, at)}/.${path.slice(at + 1)}.camfleet-prev`;
}

/** Undo a commit: its kept versions renamed back, its created files removed, what the change restarted restarted again. */
export function rollbackScript(r: Rollback): string {
  return script('rollback', {
    env: { OWED: owedLines(r.restarts), PENDING: r.note, RELOAD: r.daemonReload ? 1 : 0 },
    args: [...r.restore.flatMap((p) => ['restore', keptVersion(p), p]), ...r.remove.flatMap((p) => ['remove', p])],
  });
}

/** The health gate, polled on the Pi: see health-gate.sh. */
export function healthGateScript(gate: Extract<Step, { kind: 'health-gate' }>): string {
  return script('health-gate', {
    env: {
      STREAMER_UNIT: units.streamer,
      STATUS_FILE: paths.streamerStatus,
      STAT_URL: `http://127.0.0.1:${gate.statPort}/stat`,
      APPLICATION: gate.application,
      MIN_FPS: gate.minFps,
      SETTLE: gate.settleSeconds,
      TIMEOUT: gate.timeoutSeconds,
      DEVICE_GRACE: missingDeviceGraceSeconds,
    },
  });
}

/** Hold the lock file `path` until the run ends (its input ends) or falls silent for `silenceSeconds`; exit 75 when another run holds it. */
export function lockScript(path: string, silenceSeconds = 30): string {
  return script('lock', { env: { SILENCE: silenceSeconds }, args: [path] });
}

export const lockHeld = 75;

export function clearPendingScript(note: string): string {
  return script('clear-pending', { args: [note] });
}

/** Remove a file only if camfleet wrote it. */
export function removeFileScript(path: string): string {
  return script('remove-file', { args: [path, managedMarker] });
}

/** Remove a directory: the files in it matching `files` (name patterns), then it, if that emptied it. */
export function removeDirScript(path: string, files: readonly string[]): string {
  patternList(files); // each one a plain pattern: the script globs it inside the folder
  return script('remove-dir', { args: [path, ...files] });
}

export function systemctlScript(verb: string, unit?: string, o: { noReload?: boolean } = {}): string {
  return script('systemctl', { args: [...(o.noReload ? ['--no-reload'] : []), verb, ...(unit ? [unit] : [])] });
}

/**
 * After apply: every wanted unit active and every port listening, given a few seconds to settle.
 * Prints one line per thing still wrong (with the unit's last log lines) and exits non-zero.
 */
export function verifyScript(units: string[], ports: number[], seconds = 15): string {
  return script('verify', { env: { UNITS: wordList(units), PORTS: ports.join(' '), SETTLE_TRIES: seconds * 2 } });
}
