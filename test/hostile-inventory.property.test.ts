// Property: whatever string an inventory puts in any string field, either the inventory is refused
// (every problem at file:line:col, which the CLI turns into exit 2) or every rendered file reads back
// -- by each format's own rules -- to exactly the sections and keys the template meant.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { InventoryError } from '../provision/core/errors.ts';
import { parseAndResolve } from '../provision/core/inventory/load.ts';
import { renderHost } from '../provision/core/render/render.ts';
import type { DesiredState } from '../provision/core/types.ts';
import { bundle, templates, viewerAssets } from './support/fleet.ts';
import { skeletonOf } from './support/file-formats.ts';

type Inventory = Record<string, any>;

/** Two hosts, one per hotspot mode, with every string field set. */
function baseInventory(): Inventory {
  const settings = (mode: string, ssid: string) => ({
    ssh: { user: 'pi', port: 22, identityFile: '~/.ssh/id_ed25519', knownHostsFile: '~/.ssh/known_hosts', jump: 'pi@bastion:22' },
    camera: { device: '/dev/v4l/by-id/usb-cam-video-index0', inputFormat: 'mjpeg', resolution: '1280x720', fps: 30, bitrate: '2500k', encoder: 'auto' },
    stream: { port: 1935, application: 'live', key: 'cam', statPort: 8080 },
    access: { publish: ['127.0.0.1'], play: ['all'], stat: ['127.0.0.1'], metrics: ['10.0.0.5'] },
    hotspot: { mode, interface: 'wlan0', ssid, passphrase: 'correct horse battery', country: 'GB', channel: 6, address: '10.42.0.1', prefixLength: 24, dhcpStart: '10.42.0.10', dhcpEnd: '10.42.0.100' },
  });
  return {
    groups: { hall: {} },
    hosts: {
      'pi-nm': { address: '192.168.1.21', groups: ['hall'], ...settings('networkmanager', 'camfleet-nm') },
      'pi-ap': { address: 'pi-ap.local', groups: ['hall'], ...settings('hostapd', 'camfleet-ap') },
    },
  };
}

/** Every string field of a host, as a path below hosts.<name>. */
const fields: string[][] = [
  ['address'],
  ['groups', '0'],
  ['ssh', 'user'],
  ['ssh', 'identityFile'],
  ['ssh', 'knownHostsFile'],
  ['ssh', 'jump'],
  ['camera', 'device'],
  ['camera', 'inputFormat'],
  ['camera', 'resolution'],
  ['camera', 'bitrate'],
  ['camera', 'encoder'],
  ['stream', 'application'],
  ['stream', 'key'],
  ['access', 'publish', '0'],
  ['access', 'play', '0'],
  ['access', 'stat', '0'],
  ['access', 'metrics', '0'],
  ['hotspot', 'mode'],
  ['hotspot', 'interface'],
  ['hotspot', 'ssid'],
  ['hotspot', 'passphrase'],
  ['hotspot', 'country'],
  ['hotspot', 'address'],
  ['hotspot', 'dhcpStart'],
  ['hotspot', 'dhcpEnd'],
];

/** What attackers and clumsy operators type: format metacharacters, line breaks, NUL, specifiers. */
const nasty = [
  '\n', '\r', '\0', '\t', ' ', '\u2028', '\u0085', '\u007f', '%', '%n', '%h', '\\', '\\n', ';', '{', '}', '[', ']', '=', '#', '"', "'",
  '$', '$(id)', '`id`', ':', '/', '@', ',', '*', 'é', '\uFFFD', '\n[Service]\nExecStartPre=+/bin/sh -c id\n', '\nhidden=true',
  '\n[connection]\nid=x', ';\n  allow publish all', '}\nserver { listen 81; }', '\nwpa_passphrase=attacker1', '"}, "x": {"', '\\\n',
  '\0[Service]\0ExecStartPre=+/bin/sh', '\r[Service]\rExecStartPre=+/bin/sh',
];
/** Hostile strings for a field: random text, runs of metacharacters, and -- most often, because
 * they pass its pattern's start -- the field's own valid value with metacharacters spliced in. */
const hostileFor = (valid: string) =>
  fc.oneof(
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 1, arbitrary: fc.array(fc.constantFrom(...nasty), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')) },
    { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...nasty), fc.string({ maxLength: 4 })).map(([bad, tail]) => valid + bad + tail) },
    { weight: 2, arbitrary: fc.tuple(fc.nat(valid.length), fc.constantFrom(...nasty)).map(([at, bad]) => valid.slice(0, at) + bad + valid.slice(at)) },
  );

function get(inv: Inventory, host: string, path: string[]): unknown {
  return path.reduce((node: any, key) => node[key], inv.hosts[host]);
}

function set(inv: Inventory, host: string, path: string[], value: string): void {
  let node = inv.hosts[host];
  for (const key of path.slice(0, -1)) node = node[key];
  node[path.at(-1)!] = value;
}

function skeletons(state: DesiredState): Record<string, string[] | undefined> {
  return Object.fromEntries(state.files.map((f) => [f.path, skeletonOf(f.path, f.content)]));
}

function load(inv: Inventory, env: NodeJS.ProcessEnv = {}) {
  return parseAndResolve('inventory.yaml', stringify(inv), '/nonexistent', { env });
}

const baseline = Object.fromEntries(load(baseInventory()).hosts.map((h) => [h.name, skeletons(renderHost(h, { templates, streamerBundle: bundle, viewerAssets }))]));

/** Refused at its place, or rendered to the intended shape. Returns which, for the coverage check. */
function check(inv: Inventory, env: NodeJS.ProcessEnv = {}): 'refused' | 'rendered' {
  let hosts;
  try {
    hosts = load(inv, env).hosts;
  } catch (e) {
    expect(e).toBeInstanceOf(InventoryError);
    for (const p of (e as InventoryError).problems) {
      expect(p.file).toBe('inventory.yaml');
      expect(p.line).toBeGreaterThan(0);
      expect(p.col).toBeGreaterThan(0);
    }
    return 'refused';
  }
  for (const host of hosts) {
    const state = renderHost(host, { templates, streamerBundle: bundle, viewerAssets });
    expect(skeletons(state), `${host.name}`).toEqual(baseline[host.name]);
  }
  return 'rendered';
}

describe('hostile strings in every string field', () => {
  it('the baseline renders every format the property reads', () => {
    const formats = Object.values(baseline).flatMap((files) => Object.entries(files));
    // Only programs camfleet ships as they are (no inventory value in them) have no format to read back.
    expect(new Set(formats.filter(([, s]) => s === undefined).map(([p]) => p.replace(/.*\./, '.')))).toEqual(new Set(['.mjs', '.js']));
    for (const [, s] of formats) if (s) expect(s.some((k) => k.includes('!'))).toBe(false);
  });

  for (const path of fields) {
    it(`hosts.*.${path.join('.')}`, () => {
      const seen = new Set<string>();
      fc.assert(
        fc.property(fc.constantFrom('pi-nm', 'pi-ap').chain((host) => fc.tuple(fc.constant(host), hostileFor(String(get(baseInventory(), host, path))))), ([host, value]) => {
          const inv = baseInventory();
          set(inv, host, path, value);
          seen.add(check(inv));
        }),
        { numRuns: 150 },
      );
      // The field is really exercised: some hostile values must get past the inventory.
      if (!['inputFormat', 'encoder', 'mode', 'resolution', 'bitrate'].includes(path.at(-1)!)) expect(seen).toContain('refused');
    });
  }

  it('secrets from the environment: the stream key and the passphrase', () => {
    fc.assert(
      fc.property(fc.oneof(hostileFor('cam'), hostileFor('correct horse battery')), fc.boolean(), (value, which) => {
        const inv = baseInventory();
        for (const h of Object.values(inv.hosts) as Inventory[]) {
          if (which) h.stream.key = { env: 'KEY' };
          else h.hotspot.passphrase = { env: 'KEY' };
        }
        check(inv, { KEY: value });
      }),
      { numRuns: 300 },
    );
  });

  it('a value that gets through is still written so its format reads it back whole', () => {
    // Characters the inventory accepts but formats treat specially still leave the shape intact.
    const inv = baseInventory();
    set(inv, 'pi-nm', ['hotspot', 'ssid'], ' 1;2;3; \\ # % =[x]');
    set(inv, 'pi-nm', ['hotspot', 'passphrase'], ' \\s%h;#=[connection] ');
    set(inv, 'pi-ap', ['camera', 'device'], 'file:/tmp/a%n\\x20b;#[Service]');
    expect(check(inv)).toBe('rendered');
  });
});
