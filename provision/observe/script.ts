// The fact-gathering script: one round trip reports everything plan needs. Pure: desired state in,
// script text out. Each fact is one tab-separated line, so parsing needs no guessing.
import { paths } from '../render/paths.ts';
import { managedMarker, type DesiredState } from '../types.ts';
import { q } from '../remote.ts';

/** Units are checked when wanted, stopped, or named by a pending restart left by an interrupted run. */
export const pendingFile = '/var/lib/camfleet/pending-restarts';

export function observeScript(desired: DesiredState): string {
  const files = [...desired.files.map((f) => f.path), ...desired.absent.map((a) => a.path)];
  const lines = [
    'export LC_ALL=C',
    't=$(printf "\\t")',
    '. /etc/os-release 2>/dev/null',
    'printf "os\\t%s\\t%s\\t%s\\n" "${ID:-unknown}" "${VERSION_ID:-}" "$(dpkg --print-architecture 2>/dev/null || uname -m)"',
    // db:Status-Abbrev is "ii " for an installed package; unknown names are silently left out.
    `dpkg-query -W -f='pkg\\t\${Package}\\t\${db:Status-Abbrev}\\n' ${desired.packages.map(q).join(' ')} 2>/dev/null`,
    'for f in ' + files.map(q).join(' ') + '; do',
    '  if [ -f "$f" ]; then',
    '    sum=$(sha256sum "$f" | cut -d" " -f1)',
    '    meta=$(stat -c "%a$t%U$t%G" "$f")',
    `    if head -c 512 "$f" | grep -q ${q(managedMarker)}; then m=1; else m=0; fi`,
    '    printf "file\\t%s\\t%s\\t%s\\t%s\\n" "$f" "$sum" "$meta" "$m"',
    '  else printf "file\\t%s\\t-\\n" "$f"; fi',
    'done',
    'for u in ' + desired.units.map((u) => q(u.name)).join(' ') + '; do',
    '  load=$(systemctl show -p LoadState --value "$u" 2>/dev/null)',
    '  state=$(systemctl show -p UnitFileState --value "$u" 2>/dev/null)',
    '  [ "$load" = not-found ] && state=not-found',
    '  active=$(systemctl show -p ActiveState --value "$u" 2>/dev/null)',
    '  pid=$(systemctl show -p MainPID --value "$u" 2>/dev/null)',
    '  printf "unit\\t%s\\t%s\\t%s\\t%s\\n" "$u" "${state:-unknown}" "${active:-unknown}" "${pid:-0}"',
    'done',
    cameraCheck(desired.camera.device),
    `[ -f ${q(pendingFile)} ] && sed 's/^/pending\\t/' ${q(pendingFile)}`,
    // Listing encoders costs ffmpeg's start-up; only a host pinned to the hardware encoder needs it.
    desired.camera.encoder === 'h264_v4l2m2m' ? 'if command -v ffmpeg >/dev/null 2>&1; then' : 'if false; then',
    "  ffmpeg -hide_banner -encoders 2>/dev/null | awk '$1 ~ /^V/ && /H\\.264/ {print \"encoder\\t\" $2}'",
    'fi',
    `[ -f ${q(paths.streamerStatus)} ] && printf "status\\t%s\\n" "$(base64 -w0 < ${q(paths.streamerStatus)})"`,
    'exit 0',
  ];
  return `${lines.join('\n')}\n`;
}

/** A device or file source must exist on the host; ffmpeg's lavfi test pattern always does. */
function cameraCheck(device: string): string {
  if (device.startsWith('lavfi:')) return 'printf "camera\\t1\\n"';
  const path = device.startsWith('file:') ? device.slice('file:'.length) : device;
  return `if [ -e ${q(path)} ]; then printf "camera\\t1\\n"; else printf "camera\\t0\\n"; fi`;
}
