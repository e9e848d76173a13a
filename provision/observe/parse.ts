// Parse the observe script's output (tab-separated fact lines) into an ObservedState. Pure.
import type { ObservedState } from '../types.ts';

export function parseObserved(stdout: string, desiredPackages: readonly string[]): ObservedState {
  const observed: ObservedState = {
    os: { id: 'unknown', version: '', arch: '' },
    packages: Object.fromEntries(desiredPackages.map((p) => [p, false])),
    files: {},
    units: {},
    camera: false,
    h264Encoders: [],
    pending: [],
  };
  for (const line of stdout.split('\n')) {
    const [kind, ...f] = line.split('\t');
    switch (kind) {
      case 'os':
        observed.os = { id: f[0] ?? 'unknown', version: f[1] ?? '', arch: f[2] ?? '' };
        break;
      case 'pkg':
        // "ii " = desired install, installed; anything else (rc, un, half-installed) needs apt.
        if (f[0]) observed.packages[f[0]] = (f[1] ?? '').startsWith('ii');
        break;
      case 'file':
        if (!f[0]) break;
        observed.files[f[0]] =
          f[1] === '-' || f[1] === undefined
            ? null
            : { sha256: f[1], mode: parseInt(f[2] ?? '0', 8), owner: f[3] ?? '', group: f[4] ?? '', managed: f[5] === '1' };
        break;
      case 'filesum':
        if (f[0]) observed.files[f[0]] = { sha256: f[1] ?? '', mode: 0, owner: '', group: '', managed: false };
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
      case 'unit':
        if (f[0]) observed.units[f[0]] = { enabled: f[1] ?? 'unknown', active: f[2] ?? 'unknown', mainPid: Number(f[3] ?? 0) };
        break;
      case 'camera':
        observed.camera = f[0] === '1';
        break;
      case 'encoder':
        if (f[0]) observed.h264Encoders.push(f[0]);
        break;
      case 'pending':
        if ((f[0] === 'restart' || f[0] === 'reload') && f[1]) observed.pending.push({ action: f[0], unit: f[1] });
        break;
      case 'status':
        try {
          observed.streamerStatus = JSON.parse(Buffer.from(f[0] ?? '', 'base64').toString('utf8')) as Record<string, unknown>;
        } catch {
          // A status file caught mid-write is simply not shown.
        }
        break;
    }
  }
  return observed;
}
