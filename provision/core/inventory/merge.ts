// Layer defaults < groups (in the host's order) < host, remembering for every setting which
// layer it came from, so a problem with a merged value points at the line that set it.
import type { YamlPath } from './document.ts';

export const sections = ['ssh', 'camera', 'stream', 'access', 'hotspot', 'viewer', 'relay', 'recording', 'uplink', 'firstBoot'] as const;
export type Section = (typeof sections)[number];

export type Settings = Record<Section, Record<string, unknown>>;

export interface Layer {
  /** Where this layer sits in the file, e.g. ['groups', 'stage']; undefined for built-in defaults. */
  at?: YamlPath;
  settings: Partial<Record<Section, Record<string, unknown>>>;
}

export interface Merged {
  settings: Settings;
  /** 'camera.fps' -> the YAML path that set it; absent for built-in defaults. */
  origins: Map<string, YamlPath>;
}

/**
 * Settings that are objects of their own, layered field by field rather than replaced whole:
 * recording.keep's fields, and relay.ingests by name (a host replaces one ingest, or drops it with null).
 */
const nested = new Set(['recording.keep', 'relay.ingests']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergeLayers(layers: Layer[]): Merged {
  const settings = Object.fromEntries(sections.map((s) => [s, {}])) as Settings;
  const origins = new Map<string, YamlPath>();
  for (const layer of layers) {
    for (const section of sections) {
      for (const [key, value] of Object.entries(layer.settings[section] ?? {})) {
        if (value === undefined) continue;
        if (nested.has(`${section}.${key}`) && isObject(value)) {
          // A group's recording.keep.days and the host's keep.minFreePercent both hold: merged field by field.
          const into = { ...(isObject(settings[section][key]) ? (settings[section][key] as object) : {}) } as Record<string, unknown>;
          for (const [field, v] of Object.entries(value)) {
            if (v === undefined) continue;
            into[field] = v;
            const name = `${section}.${key}.${field}`;
            if (layer.at) origins.set(name, [...layer.at, section, key, field]);
            else origins.delete(name);
          }
          settings[section][key] = into;
          continue;
        }
        settings[section][key] = value;
        if (layer.at) origins.set(`${section}.${key}`, [...layer.at, section, key]);
        else origins.delete(`${section}.${key}`);
      }
    }
  }
  return { settings, origins };
}
