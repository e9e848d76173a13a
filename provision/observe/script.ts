// The fact-gathering script: one round trip reports everything plan needs. Pure: desired state in,
// script text out. Each fact is one tab-separated line, so parsing needs no guessing.
import { q } from '../remote.ts';
import { paths } from '../render/paths.ts';
import { managedMarker } from '../types.ts';

const pendingFile = paths.pendingRestarts;

/** What observe asks a host about: the parts of a desired state that name things on it. */
export interface ObserveQuery {
  packages: readonly string[];
  units: readonly { name: string }[];
  files: readonly { path: string }[];
  absent: readonly { path: string }[];
  camera: { device: string; encoder: string };
}

/** Just the query, e.g. to save beside a plan (a DesiredState is one, and much more). */
export function observeQuery(desired: ObserveQuery): ObserveQuery {
  return {
    packages: [...desired.packages],
    units: desired.units.map(({ name }) => ({ name })),
    files: desired.files.map(({ path }) => ({ path })),
    absent: desired.absent.map(({ path }) => ({ path })),
    camera: { device: desired.camera.device, encoder: desired.camera.encoder },
  };
}

export function observeScript(desired: ObserveQuery): string {
  const files = [...desired.files.map((f) => f.path), ...desired.absent.map((a) => a.path)];
  const lines = [
    'export LC_ALL=C',
    // $1 is the login's $SSH_CONNECTION ("client port server port"): the interface holding the
    // server address is the one this connection arrives on.
    // `ip -o addr show to ADDRESS` prints "N: <interface> inet ...": its second word.
    'if [ -n "${1:-}" ]; then',
    '  set -- $1',
    '  set -- $(ip -o addr show to "$3" 2>/dev/null)',
    '  [ -n "${2:-}" ] && printf "sshif\\t%s\\n" "$2"',
    'fi',
    "t='\t'",
    '. /etc/os-release 2>/dev/null',
    'printf "os\\t%s\\t%s\\n" "${ID:-unknown}" "${VERSION_ID:-}"',
    // db:Status-Abbrev is "ii " for an installed package; unknown names are silently left out.
    // dpkg's own line carries the architecture, saving a `dpkg --print-architecture`.
    `dpkg-query -W -f='pkg\\t\${Package}\\t\${db:Status-Abbrev}\\t\${Architecture}\\n' dpkg ${desired.packages.map(q).join(' ')} 2>/dev/null`,
    // Files: one process per fact for all files at once (a process costs milliseconds on a Pi).
    'set --',
    'for f in ' + files.map(q).join(' ') + '; do',
    '  if [ -f "$f" ]; then set -- "$@" "$f"; else printf "file\\t%s\\t-\\n" "$f"; fi',
    'done',
    'if [ $# -gt 0 ]; then',
    // sha256sum's own lines ("<hash>  <path>"): the parser knows them by shape.
    '  sha256sum -- "$@"',
    '  stat -c "filemeta$t%n$t%a$t%U$t%G" -- "$@"',
    // The marker sits in a managed file's header, so only the first lines are read.
    `  awk -v marker=${q(managedMarker)} 'FNR > 10 { nextfile } index($0, marker) { print "filemanaged\\t" FILENAME; nextfile }' "$@"`,
    'fi',
    leftoversQuery(desired),
    unitsQuery(desired.units.map((u) => u.name)),
    cameraCheck(desired.camera.device),
    `[ -f ${q(pendingFile)} ] && sed 's/^/pending\\t/' ${q(pendingFile)}`,
    // Listing encoders costs ffmpeg's start-up; only a host pinned to the hardware encoder needs it.
    desired.camera.encoder === 'h264_v4l2m2m' ? 'if command -v ffmpeg >/dev/null 2>&1; then' : 'if false; then',
    "  ffmpeg -hide_banner -encoders 2>/dev/null | awk '$1 ~ /^V/ && /H\\.264/ {print \"encoder\\t\" $2}'",
    'fi',
    'exit 0',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Staging writes `.<name>.camfleet-XXXXXX` beside each target (apply/scripts.ts) and renames it
 * over the target on commit: one still there was never committed (power cut, connection lost).
 */
export const stagingSuffix = '.camfleet-';

function leftoversQuery(desired: ObserveQuery): string {
  const dirs = [...new Set(desired.files.map((f) => f.path.slice(0, f.path.lastIndexOf('/')) || '/'))];
  return `for f in ${dirs.map((d) => `${q(d)}/.*${stagingSuffix}??????`).join(' ')}; do [ -f "$f" ] && printf "leftover\t%s\n" "$f"; done`;
}

/** A device or file source must exist on the host; ffmpeg's lavfi test pattern always does. */
function cameraCheck(device: string): string {
  if (device.startsWith('lavfi:')) return 'printf "camera\\t1\\n"';
  const path = device.startsWith('file:') ? device.slice('file:'.length) : device;
  return `if [ -e ${q(path)} ]; then printf "camera\\t1\\n"; else printf "camera\\t0\\n"; fi`;
}

/**
 * Every unit's state from one `systemctl show` (each call costs ~30 ms on a Pi): one block of
 * Key=Value lines per unit, in the order asked, blank-line separated, between two marker lines.
 */
function unitsQuery(names: string[]): string {
  if (!names.length) return 'true';
  return `echo units-begin; systemctl show -p LoadState,UnitFileState,ActiveState,MainPID ${names.map(q).join(' ')} 2>/dev/null; echo; echo units-end`;
}
