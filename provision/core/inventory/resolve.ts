// Turn one host entry of a schema-valid inventory into a ResolvedHost: layer the settings,
// expand paths, parse resolution and bitrate, fill per-mode hotspot addressing, resolve secrets.
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { parseBitrate } from '../../../contract/camera.ts';
import { streamKeyPattern } from '../../../contract/streamer-config.ts';
import type { Problem } from '../errors.ts';
import type { ResolvedHost } from '../types.ts';
import { builtinDefaults, hotspotAddressing } from './builtin-defaults.ts';
import type { InventoryDocument, YamlPath } from './document.ts';
import { mergeLayers, type Layer, type Settings } from './merge.ts';
import { isSecretRef, resolveSecret, type SecretSources } from './secrets.ts';
import { resolveIngests } from './ingests.ts';

export interface RawInventory {
  defaults?: Layer['settings'];
  groups?: Record<string, Layer['settings']>;
  hosts: Record<string, Layer['settings'] & { address: string; role?: 'camera' | 'origin'; groups?: string[] }>;
}

/** What resolving needs from outside the file, handed in by the shell (load-inventory.ts). */
export interface Surroundings extends SecretSources {
  /** Relative paths (secret files, identity files) are relative to the inventory's directory. */
  inventoryDir: string;
  /** What `~/` expands to; without one, `~` paths stay as written. */
  homeDir?: string;
  /** Resolve what only the first boot needs (the uplink's Wi-Fi passphrase): bootstrap only. */
  firstBoot?: boolean;
}

export interface Resolution {
  /** Always built, so rules can check it; only usable when `problems` is empty. */
  host: ResolvedHost;
  /** Where the merged setting `section.key` was set; the host itself for built-in defaults. */
  at(key: string): YamlPath;
  isSet(key: string): boolean;
  /** A secret that is set but could not be resolved (already reported): rules leave its value alone. */
  failed(key: string): boolean;
  problems: Problem[];
}

export function resolveHost(
  doc: InventoryDocument,
  raw: RawInventory,
  name: string,
  surroundings: Surroundings,
): Resolution {
  const { inventoryDir, homeDir } = surroundings;
  const entry = raw.hosts[name]!;
  const hostPath: YamlPath = ['hosts', name];
  const problems: Problem[] = [];

  const { layers, unknownGroups } = hostLayers(raw, name);
  for (const i of unknownGroups) problems.push(doc.problem([...hostPath, 'groups', i], `unknown group '${entry.groups?.[i]}'`));
  const merged = mergeLayers(layers);
  const { settings: s } = merged;

  // Where a setting came from; a built-in default points at the host itself.
  const at = (key: string): YamlPath => merged.origins.get(key) ?? hostPath;
  const secrets: string[] = [];
  const failedSecrets = new Set<string>();
  // A passphrase is secret even when written inline; a stream key only when given as a reference.
  const secret = (section: keyof Settings, key: string, inlineIsSecret: boolean): string | undefined => {
    const value = s[section][key];
    if (value === undefined) return undefined;
    if (!isSecretRef(value)) {
      if (inlineIsSecret) secrets.push(String(value));
      return String(value);
    }
    const result = resolveSecret(value, inventoryDir, surroundings);
    if (!result.ok) {
      failedSecrets.add(`${section}.${key}`);
      problems.push(doc.problem(at(`${section}.${key}`), result.message));
      return undefined;
    }
    secrets.push(result.value);
    return result.value;
  };

  const [width, height] = String(s.camera.resolution).split('x').map(Number) as [number, number];
  const fps = Number(s.camera.fps);
  const mode = s.hotspot.mode as ResolvedHost['hotspot']['mode'];
  const addressing = hotspotAddressing[mode];
  const hotspotOn = mode !== 'none';
  const streamKey = secret('stream', 'key', false) ?? '';
  // A key read from a secret is held to the pattern an inline key meets in the schema (it is part
  // of a URL and a file name in nginx); what is wrong is said, the value itself never quoted back.
  if (isSecretRef(s.stream.key) && streamKey && !streamKeyPattern.test(streamKey)) {
    failedSecrets.add('stream.key');
    const fault = /^[A-Za-z0-9_-]*$/.test(streamKey) ? `has ${streamKey.length} characters; at most 256` : 'may only contain letters, digits, _ and -';
    problems.push(doc.problem(at('stream.key'), `secret: the stream key it holds ${fault}`));
  }
  // Only a hotspot that will be configured needs its passphrase resolved.
  const passphrase = hotspotOn ? secret('hotspot', 'passphrase', true) ?? '' : '';
  // The uplink's passphrase goes onto a card once; provision never needs it, so never asks for it.
  const uplinkWifi = s.uplink.mode === 'wifi';
  const uplinkPassphrase = uplinkWifi && surroundings.firstBoot ? secret('uplink', 'passphrase', true) ?? '' : '';

  // An origin has no camera of its own to copy: defaults or a group may set the fleet's ingests
  // (not resolved for it), the origin itself may not.
  const ingests = entry.role === 'origin' ? undefined : resolveIngests(doc, s.relay.ingests, (n) => at(`relay.ingests.${n}`), inventoryDir, surroundings);
  if (entry.role === 'origin' && entry.relay?.ingests !== undefined) problems.push(doc.problem([...hostPath, 'relay', 'ingests'], `${name} is an origin: only cameras copy their stream to ingests`));
  for (const name of ingests?.failed ?? []) failedSecrets.add(`relay.ingests.${name}`);
  problems.push(...(ingests?.problems ?? []));
  secrets.push(...(ingests?.secrets ?? []));

  const host: ResolvedHost = {
    name,
    address: entry.address,
    ssh: {
      user: String(s.ssh.user),
      port: Number(s.ssh.port),
      identityFile: s.ssh.identityFile === undefined ? undefined : expandPath(String(s.ssh.identityFile), inventoryDir, homeDir),
      knownHostsFile: expandPath(String(s.ssh.knownHostsFile), inventoryDir, homeDir),
      jump: s.ssh.jump === undefined ? undefined : String(s.ssh.jump),
      publicKeyFile: s.ssh.publicKeyFile === undefined ? undefined : expandPath(String(s.ssh.publicKeyFile), inventoryDir, homeDir),
    },
    camera: {
      device: String(s.camera.device),
      inputFormat: s.camera.inputFormat as ResolvedHost['camera']['inputFormat'],
      width,
      height,
      fps,
      // The schema admits only what parseBitrate reads; NaN is refused by the rules if it ever does not.
      bitrate: parseBitrate(String(s.camera.bitrate)) ?? NaN,
      encoder: s.camera.encoder as ResolvedHost['camera']['encoder'],
      gop: s.camera.gop === undefined ? fps : Number(s.camera.gop),
    },
    stream: {
      port: Number(s.stream.port),
      application: String(s.stream.application),
      key: streamKey,
      statPort: Number(s.stream.statPort),
    },
    access: {
      publish: [...(s.access.publish as string[])],
      play: [...(s.access.play as string[])],
      stat: [...(s.access.stat as string[])],
      metrics: [...(s.access.metrics as string[])],
    },
    hotspot: {
      mode,
      interface: String(s.hotspot.interface),
      ssid: s.hotspot.ssid === undefined ? '' : String(s.hotspot.ssid),
      passphrase,
      country: s.hotspot.country === undefined ? '' : String(s.hotspot.country),
      channel: Number(s.hotspot.channel),
      address: String(s.hotspot.address ?? addressing.address),
      prefixLength: Number(s.hotspot.prefixLength),
      dhcpStart: String(s.hotspot.dhcpStart ?? addressing.dhcpStart),
      dhcpEnd: String(s.hotspot.dhcpEnd ?? addressing.dhcpEnd),
    },
    viewer: {
      enabled: s.viewer.enabled === true,
      port: Number(s.viewer.port),
      paths: [...(s.viewer.paths as ResolvedHost['viewer']['paths'])],
    },
    uplink: {
      mode: uplinkWifi ? 'wifi' : 'ethernet',
      interface: String(s.uplink.interface),
      ssid: s.uplink.ssid === undefined ? '' : String(s.uplink.ssid),
      passphrase: uplinkPassphrase,
      country: s.uplink.country === undefined ? '' : String(s.uplink.country),
    },
    firstBoot: { timezone: String(s.firstBoot.timezone) },
    recording: {
      enabled: s.recording.enabled === true,
      path: String(s.recording.path),
      segment: Number(s.recording.segment),
      keep: { days: Number((s.recording.keep as Record<string, unknown>).days), minFreePercent: Number((s.recording.keep as Record<string, unknown>).minFreePercent) },
    },
    ingests: ingests?.ingests ?? [],
    secrets,
  };
  const isSet = (key: string) => {
    const [section, field] = key.split('.') as [keyof Settings, string];
    return s[section][field] !== undefined;
  };
  return { host, at, isSet, failed: (key) => failedSecrets.has(key), problems };
}

/** A host's layers, lowest first: built-in defaults, defaults, its groups in its order, itself. */
export function hostLayers(raw: RawInventory, name: string): { layers: Layer[]; unknownGroups: number[] } {
  const entry = raw.hosts[name]!;
  const layers: Layer[] = [{ settings: builtinDefaults as unknown as Layer['settings'] }];
  const unknownGroups: number[] = [];
  if (raw.defaults) layers.push({ at: ['defaults'], settings: raw.defaults });
  for (const [i, group] of (entry.groups ?? []).entries()) {
    const settings = raw.groups?.[group];
    if (settings) layers.push({ at: ['groups', group], settings });
    else unknownGroups.push(i);
  }
  layers.push({ at: ['hosts', name], settings: entry });
  return { layers, unknownGroups };
}

function expandPath(path: string, base: string, homeDir: string | undefined): string {
  if (path === '~' || path.startsWith('~/')) return homeDir === undefined ? path : homeDir + path.slice(1);
  return isAbsolute(path) ? path : resolvePath(base, path);
}

