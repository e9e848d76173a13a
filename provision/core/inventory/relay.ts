// Origin relay across the fleet: which camera pushes its stream to which origin. A camera names its
// origin (relay.to, from any layer); an origin must know every camera that pushes to it, selected
// for this run or not, to admit it. Only merged settings are read, never secrets, so provisioning
// the origin alone needs none of the cameras' passphrases.
import type { Problem } from '../errors.ts';
import type { OriginSettings, RelayTarget } from '../types.ts';
import type { InventoryDocument, YamlPath } from './document.ts';
import { mergeLayers } from './merge.ts';
import { hostLayers, type RawInventory } from './resolve.ts';
import { isIpv4 } from './address.ts';

export interface RelayLinks {
  /** Camera name -> where it pushes. */
  targets: Map<string, RelayTarget>;
  /** Origin name -> the cameras that push to it. */
  origins: Map<string, OriginSettings>;
  problems: Problem[];
}

const isIpv6 = (address: string): boolean => address.includes(':');

/** Whether any host is an origin or any layer sets relay: otherwise there is nothing to link. */
export function usesRelay(raw: RawInventory): boolean {
  const layers = [raw.defaults, ...Object.values(raw.groups ?? {}), ...Object.values(raw.hosts)];
  return Object.values(raw.hosts).some((h) => h.role === 'origin') || layers.some((l) => l?.relay !== undefined);
}

export function relayLinks(doc: InventoryDocument, raw: RawInventory): RelayLinks {
  const names = Object.keys(raw.hosts);
  const role = (name: string) => raw.hosts[name]?.role ?? 'camera';
  const originNames = names.filter((n) => role(n) === 'origin');
  const merged = new Map(names.map((n) => [n, mergeLayers(hostLayers(raw, n).layers)]));
  const targets = new Map<string, RelayTarget>();
  const origins = new Map<string, OriginSettings>(originNames.map((n) => [n, { sources: [] }]));
  const problems: Problem[] = [];
  const problem = (at: YamlPath, message: string) => problems.push(doc.problem(at, message));

  for (const name of originNames) {
    const m = merged.get(name)!;
    // An origin is a server on a wired network; a hotspot would take its interface over.
    if (m.settings.hotspot.mode !== 'none') problem(m.origins.get('hotspot.mode') ?? ['hosts', name], `${name} is an origin: hotspot.mode must be none (set hotspot: { mode: none } on it)`);
    // nginx-rtmp's push URL takes a host name or an IPv4 address (an IPv6 one would need brackets).
    if (isIpv6(raw.hosts[name]!.address)) problem(['hosts', name, 'address'], 'an origin needs an IPv4 address or a DNS name: cameras push to rtmp://<address>:<port>/');
  }

  for (const name of names) {
    const m = merged.get(name)!;
    const to = m.settings.relay.to as string | undefined;
    if (to === undefined) continue;
    const at = m.origins.get('relay.to') ?? ['hosts', name];
    if (role(name) === 'origin') {
      // defaults or a group may say where the fleet relays; an origin is simply not one of the relaying.
      if (at[0] === 'hosts') problem(at, `${name} is an origin itself: only cameras relay`);
      continue;
    }
    if (!(to in raw.hosts)) {
      problem(at, `no host '${to}' in the inventory (${originNames.length ? `origins: ${originNames.join(', ')}` : 'no host has role: origin'})`);
      continue;
    }
    if (role(to) !== 'origin') {
      problem(at, `host '${to}' is not an origin: give it role: origin`);
      continue;
    }
    // The origin admits publishers by address (nginx's allow publish takes addresses, not names).
    const address = raw.hosts[name]!.address;
    if (!isIpv4(address) && !isIpv6(address)) {
      problem(['hosts', name, 'address'], `relays to ${to}, whose publish allow-list admits IP addresses only: write this Pi's address as an IP address`);
      continue;
    }
    const origin = merged.get(to)!.settings;
    const viewerPort = origin.viewer.enabled === false ? {} : { viewerPort: Number(origin.viewer.port) };
    targets.set(name, { origin: to, address: raw.hosts[to]!.address, port: Number(origin.stream.port), application: String(origin.stream.application), stream: name, ...viewerPort });
    const fps = Number(m.settings.camera.fps);
    const gop = m.settings.camera.gop === undefined ? fps : Number(m.settings.camera.gop);
    // Footage stays on the camera: the origin's wall links the camera's own recordings page.
    const viewer = m.settings.viewer;
    const recordingsPort = m.settings.recording.enabled === true && viewer.enabled !== false ? { recordingsPort: Number(viewer.port) } : {};
    origins.get(to)!.sources.push({ name, address, keyframeMs: Math.round((gop / fps) * 1000), ...recordingsPort });
  }
  return { targets, origins, problems };
}
