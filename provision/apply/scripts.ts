// The shell for each kind of step. Pure: values in, script text out, every value quoted with q().
import { dirname, basename } from 'node:path';
import { heredocBase64, q } from '../remote.ts';
import { paths } from '../render/paths.ts';
import { managedMarker, type ManagedFile } from '../types.ts';

const pendingFile = paths.pendingRestarts;

const aptGet = 'apt-get -q -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confold';

/** Install packages non-interactively; waits for the dpkg lock; refreshes stale lists once and retries. */
export function installPackagesScript(packages: string[]): string {
  const list = packages.map(q).join(' ');
  return [
    'export DEBIAN_FRONTEND=noninteractive',
    `if ! ${aptGet} install -y --no-install-recommends ${list}; then`,
    `  ${aptGet} update && ${aptGet} install -y --no-install-recommends ${list}`,
    'fi',
  ].join('\n');
}

/** Write a file's new content to a temp file beside it (same filesystem, so the later rename is atomic). */
export function stageFileScript(file: ManagedFile): string {
  const dir = dirname(file.path);
  return [
    'set -e',
    // New directories are world-readable like their parents; only the temp file is private.
    `[ -d ${q(dir)} ] || (umask 022 && mkdir -p ${q(dir)})`,
    'umask 077',
    `tmp=$(mktemp ${q(`${dir}/.${basename(file.path)}.camfleet-XXXXXX`)})`,
    // A write that fails part way (disk full) takes its half-written temp file with it.
    `trap 'rm -f "$tmp"' EXIT`,
    heredocBase64(file.content, '> "$tmp"'),
    `chown ${q(`${file.owner}:${file.group}`)} "$tmp"`,
    `chmod ${q(file.mode.toString(8))} "$tmp"`,
    'trap - EXIT',
    'printf "%s\\n" "$tmp"',
  ].join('\n');
}

/** The checker each kind of validated file goes through, as the operator would run it. */
export const validators = { nginx: 'nginx -t', systemd: 'systemd-analyze verify' } as const;

/** Check a staged file with the tool that will read it, before it replaces anything. */
export function validateScript(kind: 'nginx' | 'systemd', staged: string, path: string): string {
  switch (kind) {
    case 'nginx':
      return `nginx -t -q -c ${q(staged)}`;
    case 'systemd': {
      // verify wants the unit's real name, and exits 0 on a line it ignored: any "file:line:" warning
      // (a line without '=', an unknown key or section, a bad value) is a unit that does not say what was meant.
      const name = basename(path);
      return [
        'd=$(mktemp -d)',
        `cp ${q(staged)} "$d"/${q(name)}`,
        `out=$(SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no "$d"/${q(name)} 2>&1)`,
        'rm -rf "$d"',
        `bad=$(printf '%s\\n' "$out" | grep -F ${q(`/${name}:`)} | grep -E '^[^ ]*:[0-9]+: ')`,
        `[ -z "$bad" ] || { printf '%s\\n' "$bad" | sed "s|^$d/||" >&2; exit 1; }`,
      ].join('\n');
    }
  }
}

export function discardScript(staged: string[]): string {
  return staged.length ? `rm -f ${staged.map(q).join(' ')}` : 'true';
}

/**
 * Swap every staged file into place in one go, after noting which restarts are owed: if the
 * connection drops before they run, the next run's observe finds the note and owes them still.
 */
export function commitScript(
  moves: { staged: string; path: string }[],
  metadata: ManagedFile[],
  owed: { action: 'restart' | 'reload'; unit: string }[],
): string {
  const lines = ['set -e'];
  if (owed.length) {
    lines.push(`mkdir -p ${q(dirname(pendingFile))}`);
    lines.push(`printf '%s\\t%s\\n' ${owed.map((o) => `${q(o.action)} ${q(o.unit)}`).join(' ')} >> ${q(pendingFile)}`);
  }
  // Each new file's content is on the disk before its name replaces the old one, and the renames
  // after: a power cut leaves the old file or the new one, never an empty or half-written one.
  if (moves.length) lines.push(`sync -- ${moves.map((m) => q(m.staged)).join(' ')}`);
  for (const m of moves) lines.push(`mv -f ${q(m.staged)} ${q(m.path)}`);
  if (moves.length) lines.push(`sync -- ${[...new Set(moves.map((m) => dirname(m.path)))].map(q).join(' ')}`);
  for (const f of metadata) lines.push(`chown ${q(`${f.owner}:${f.group}`)} ${q(f.path)}`, `chmod ${q(f.mode.toString(8))} ${q(f.path)}`);
  return lines.join('\n');
}

export function clearPendingScript(): string {
  return `rm -f ${q(pendingFile)}`;
}

/** Remove a file only if camfleet wrote it. */
export function removeFileScript(path: string): string {
  return `if head -c 512 ${q(path)} 2>/dev/null | grep -q ${q(managedMarker)}; then rm -f ${q(path)}; fi`;
}

export function systemctlScript(verb: string, unit?: string): string {
  return unit ? `systemctl ${q(verb)} ${q(unit)}` : `systemctl ${q(verb)}`;
}

/**
 * After apply: every wanted unit active and every port listening, given a few seconds to settle.
 * Prints one line per thing still wrong (with the unit's last log lines) and exits non-zero.
 */
export function verifyScript(units: string[], ports: number[], seconds = 15): string {
  return [
    `tries=${seconds * 2}`,
    'while :; do',
    '  bad=""',
    ...units.map((u) => `  systemctl is-active --quiet ${q(u)} || bad="$bad unit:${u}"`),
    ...ports.map((p) => `  ss -ltnH ${q(`sport = :${p}`)} | grep -q . || bad="$bad port:${p}"`),
    '  [ -z "$bad" ] && exit 0',
    '  tries=$((tries-1)); [ $tries -le 0 ] && break',
    '  sleep 0.5',
    'done',
    'for b in $bad; do',
    '  case $b in',
    '    unit:*) u=${b#unit:}; echo "$u is $(systemctl is-active "$u")"; journalctl -u "$u" -n 8 --no-pager 2>/dev/null | sed "s/^/    /" ;;',
    '    port:*) echo "nothing listens on TCP port ${b#port:}" ;;',
    '  esac',
    'done >&2',
    'exit 1',
  ].join('\n');
}
