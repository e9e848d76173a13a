// Small helpers for pure-core tests: an inventory in a string, rendered with the real templates.
import { parseAndResolve } from '../../provision/core/inventory/load.ts';
import { renderHost } from '../../provision/core/render/render.ts';
import { loadTemplates } from '../../provision/converge/render-inputs.ts';
import type { DesiredState, ObservedState, ResolvedHost } from '../../provision/core/types.ts';
import { sha256 } from '../../provision/core/plan/files.ts';

export const templates = loadTemplates();
export const bundle = '// streamer bundle v1\nconsole.log("streaming");\n';
/** Stand-ins for the page's files: render only copies them (the real ones are tested in test/viewer-page.e2e.test.ts). */
export const viewerAssets = { page: '<!doctype html>\n<!-- Managed by camfleet -->\n<title>{{title}}</title><script type="application/json">{{config}}</script>\n', app: '// Managed by camfleet\n', hlsLibrary: '// Managed by camfleet\n', webrtcService: '// Managed by camfleet\n' };

/** Stands in for the origin's exporter bundle: render only copies it (the real one runs in test/origin.e2e.test.ts). */
export const originExporter = "// Managed by camfleet: the origin's exporter\n";

export function resolve(yaml: string, env: NodeJS.ProcessEnv = {}): ResolvedHost[] {
  return parseAndResolve('inventory.yaml', yaml, '/tmp', { env }).hosts;
}

export function render(yaml: string, env: NodeJS.ProcessEnv = {}, streamerBundle = bundle): DesiredState[] {
  return resolve(yaml, env).map((h) => renderHost(h, { templates, streamerBundle, viewerAssets, originExporter }));
}

/** What observe would report on a host that already matches `desired` exactly. */
export function convergedObservation(desired: DesiredState): ObservedState {
  return {
    os: { id: 'debian', version: '12', arch: 'arm64' },
    packages: Object.fromEntries(desired.packages.map((p) => [p, true])),
    files: Object.fromEntries([
      ...desired.files.map((f) => [f.path, { sha256: sha256(f.content), mode: f.mode, owner: f.owner, group: f.group, managed: true }]),
      ...desired.absent.map((a) => [a.path, null]),
    ]),
    units: Object.fromEntries(
      desired.units.map((u) => [u.name, { enabled: u.enabled ? 'enabled' : 'disabled', active: u.active ? 'active' : 'inactive', mainPid: u.active ? 100 : 0 }]),
    ),
    camera: true,
    h264Encoders: ['libx264', 'h264_v4l2m2m'],
    pending: [],
  };
}

/** A fresh Debian host: nothing of ours, no packages, no units. */
export function freshObservation(desired: DesiredState): ObservedState {
  return {
    os: { id: 'debian', version: '12', arch: 'arm64' },
    packages: Object.fromEntries(desired.packages.map((p) => [p, false])),
    files: Object.fromEntries([...desired.files, ...desired.absent].map((f) => [f.path, null])),
    units: Object.fromEntries(desired.units.map((u) => [u.name, { enabled: 'not-found', active: 'inactive', mainPid: 0 }])),
    camera: false,
    h264Encoders: [],
    pending: [],
  };
}
