// Parse the observe script's output into an ObservedState. Pure. Facts are tab-separated lines
// named by their first field, except two tools' own output, passed through to save a process each:
// sha256sum's lines, and `systemctl show`'s blocks between units-begin and units-end.
import type { ObservedState, ObservedUnit } from '../../core/types.ts';
import { parseLibcamera } from './libcamera.ts';

const sha256sumLine = /^([0-9a-f]{64}) [ *](.+)$/;

export function parseObserved(stdout: string, desired: { packages: readonly string[]; units: readonly { name: string }[] }): ObservedState {
  const observed: ObservedState = {
    os: { id: 'unknown', version: '', arch: '' },
    packages: Object.fromEntries(desired.packages.map((p) => [p, false])),
    files: {},
    units: {},
    camera: false,
    h264Encoders: [],
    pending: [],
  };
  const unitNames = desired.units.map((u) => u.name);
  let unitBlocks: Map<string, string>[] | undefined;
  // libcamera's lines, gathered and parsed at the end; tools = cam was there to ask.
  let libcameraTools = false;
  const libcameraList: string[] = [];
  const libcameraInfo = new Map<number, string[]>();
  for (const line of stdout.split('\n')) {
    if (unitBlocks) {
      if (line === 'units-end') {
        const blocks = unitBlocks.filter((b) => b.size > 0);
        unitNames.forEach((name, i) => {
          if (blocks[i]) observed.units[name] = unitFrom(blocks[i]);
        });
        unitBlocks = undefined;
      } else if (line === '') unitBlocks.push(new Map());
      else {
        const eq = line.indexOf('=');
        if (eq > 0) unitBlocks.at(-1)!.set(line.slice(0, eq), line.slice(eq + 1));
      }
      continue;
    }
    if (line === 'units-begin') {
      unitBlocks = [new Map()];
      continue;
    }
    const sum = sha256sumLine.exec(line);
    if (sum) {
      observed.files[sum[2]!] = { sha256: sum[1]!, mode: 0, owner: '', group: '', managed: false };
      continue;
    }
    const [kind, ...f] = line.split('\t');
    switch (kind) {
      case 'os':
        observed.os = { ...observed.os, id: f[0] ?? 'unknown', version: f[1] ?? '' };
        break;
      case 'pkg':
        // dpkg's own architecture is the system's.
        if (f[0] === 'dpkg') observed.os = { ...observed.os, arch: f[2] ?? '' };
        // "ii " = desired install, installed; anything else (rc, un, half-installed) needs apt.
        if (f[0] && f[0] in observed.packages) observed.packages[f[0]] = (f[1] ?? '').startsWith('ii');
        break;
      case 'file': // "file <path> -": not there
        if (f[0]) observed.files[f[0]] = null;
        break;
      case 'filemeta': {
        const file = f[0] ? observed.files[f[0]] : undefined;
        if (file) Object.assign(file, { mode: parseInt(f[1] ?? '0', 8), owner: f[2] ?? '', group: f[3] ?? '' });
        break;
      }
      case 'filemanaged': {
        const file = f[0] ? observed.files[f[0]] : undefined;
        if (file) file.managed = true;
        break;
      }
      case 'sshif':
        if (f[0]) observed.sshInterface = f[0];
        break;
      case 'camera':
        observed.camera = f[0] === '1';
        break;
      case 'encoder':
        if (f[0]) observed.h264Encoders.push(f[0]);
        break;
      case 'dir':
        if (f[0]) (observed.dirs ??= {})[f[0]] ??= [];
        break;
      case 'dir-holds':
        if (f[0] && f[1]) ((observed.dirs ??= {})[f[0]] ??= []).push(f[1]);
        break;
      case 'leftover':
        if (f[0]) (observed.leftovers ??= []).push(f[0]);
        break;
      case 'libcamera':
        if (f[0] === 'tools') libcameraTools = true;
        else if (f[0] === 'inuse') observed.libcameraInUse = true;
        else if (f[0] === 'list') libcameraList.push(f.slice(1).join('\t'));
        else if (f[0] === 'info' && f[1]) {
          const n = Number(f[1]);
          libcameraInfo.set(n, [...(libcameraInfo.get(n) ?? []), f.slice(2).join('\t')]);
        }
        break;
      case 'pending':
        if ((f[0] === 'restart' || f[0] === 'reload') && f[1]) observed.pending.push({ action: f[0], unit: f[1] });
        break;
    }
  }
  if (libcameraTools) observed.libcamera = parseLibcamera(libcameraList, libcameraInfo);
  return observed;
}

/** One `systemctl show` block: a unit systemd has never heard of reads as enabled "not-found". */
function unitFrom(block: Map<string, string>): ObservedUnit {
  const enabled = block.get('LoadState') === 'not-found' ? 'not-found' : block.get('UnitFileState') || 'unknown';
  return { enabled, active: block.get('ActiveState') || 'unknown', mainPid: Number(block.get('MainPID') ?? 0) };
}
