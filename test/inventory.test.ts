// The inventory: every kind of broken file gives one line per problem, at its file:line:col.
import { describe, expect, it } from 'vitest';
import { InventoryError, formatProblem } from '../provision/core/errors.ts';
import { parseAndResolve } from '../provision/core/inventory/load.ts';

const base = `defaults:
  camera:
    fps: 30
groups:
  hall:
    hotspot:
      country: GB
      passphrase: { env: HALL_PASS }
hosts:
  pi1:
    address: 10.0.0.1
`;

function problems(yaml: string, env: NodeJS.ProcessEnv = { HALL_PASS: 'correct horse battery' }): string[] {
  try {
    parseAndResolve('inventory.yaml', yaml, '/nonexistent', { env });
  } catch (e) {
    if (e instanceof InventoryError) return e.problems.map(formatProblem);
    throw e;
  }
  return [];
}

describe('broken inventories', () => {
  const cases: { name: string; yaml: string; expected: string[]; env?: NodeJS.ProcessEnv }[] = [
    {
      name: 'value out of range',
      yaml: base.replace('fps: 30', 'fps: 200'),
      expected: ['inventory.yaml:3:10 defaults.camera.fps: must be <= 120'],
    },
    {
      name: 'wrong type',
      yaml: base.replace('fps: 30', 'fps: thirty'),
      expected: ['inventory.yaml:3:10 defaults.camera.fps: must be an integer'],
    },
    {
      name: 'unknown key, with a suggestion',
      yaml: `${base}    camra: {}\n`,
      expected: ["inventory.yaml:12:5 hosts.pi1.camra: unknown key 'camra' — did you mean 'camera'?"],
    },
    {
      name: 'missing required address',
      yaml: base.replace('    address: 10.0.0.1\n', '    groups: [hall]\n'),
      expected: ["inventory.yaml:10:3 hosts.pi1: missing required key 'address'"],
    },
    {
      name: 'YAML syntax error',
      yaml: base.replace('fps: 30', 'fps: [30'),
      expected: [expect.stringMatching(/^inventory\.yaml:\d+:\d+ YAML: /) as unknown as string],
    },
    {
      name: 'passphrase too short (from a group), value never printed',
      yaml: `${base}    groups: [hall]\n    hotspot: { mode: hostapd, ssid: cam1 }\n`,
      env: { HALL_PASS: 'short' },
      expected: ['inventory.yaml:8:7 groups.hall.hotspot.passphrase: must be 8-63 printable ASCII characters or 64 hex digits (it has 5 characters)'],
    },
    {
      name: 'missing country for hostapd',
      yaml: `${base}    hotspot: { mode: hostapd, ssid: cam1, passphrase: { env: HALL_PASS } }\n`,
      expected: ['inventory.yaml:10:3 hosts.pi1: country is required when hotspot.mode is hostapd (set it on the host, one of its groups, or defaults)'],
    },
    {
      name: 'duplicate address',
      yaml: `${base}  pi2:\n    address: 10.0.0.1\n`,
      expected: ['inventory.yaml:13:14 hosts.pi2.address: address 10.0.0.1 is already used by host pi1'],
    },
    {
      name: 'missing secret env var',
      yaml: `${base}    groups: [hall]\n    hotspot: { mode: networkmanager, ssid: cam1 }\n`,
      env: {},
      expected: ['inventory.yaml:8:7 groups.hall.hotspot.passphrase: secret: environment variable HALL_PASS is not set'],
    },
    {
      name: 'odd resolution',
      yaml: `${base}    camera: { resolution: 1280x721 }\n`,
      expected: ['inventory.yaml:12:27 hosts.pi1.camera.resolution: 1280x721: width and height must be even (yuv420p)'],
    },
    {
      name: 'too many pixels per second',
      yaml: `${base}    camera: { resolution: 3840x2160, fps: 30 }\n`,
      expected: ['inventory.yaml:12:43 hosts.pi1.camera.fps: 3840x2160 at 30 fps is more than 1080p60 worth of pixels per second'],
    },
    {
      name: 'SSID longer than 32 bytes',
      yaml: `${base}    groups: [hall]\n    hotspot: { mode: hostapd, ssid: ${'x'.repeat(33)} }\n`,
      expected: ['inventory.yaml:13:37 hosts.pi1.hotspot.ssid: must be 1-32 bytes (is 33 bytes)'],
    },
    {
      name: 'unknown group',
      yaml: `${base}    groups: [hal]\n`,
      expected: ["inventory.yaml:12:14 hosts.pi1.groups.0: unknown group 'hal'"],
    },
    {
      name: 'bad bitrate pattern',
      yaml: base.replace('fps: 30', 'bitrate: fast'),
      expected: ['inventory.yaml:3:14 defaults.camera.bitrate: must be bits per second with an optional k or M suffix, e.g. 2500k or 4M'],
    },
    {
      name: 'DHCP range outside the hotspot subnet',
      yaml: `${base}    groups: [hall]\n    hotspot: { mode: hostapd, ssid: cam1, dhcpEnd: 10.9.9.9 }\n`,
      expected: ['inventory.yaml:13:52 hosts.pi1.hotspot.dhcpEnd: 10.9.9.9 is outside 192.168.50.1/24'],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const got = problems(c.yaml, c.env);
      expect(got).toEqual(c.expected);
      for (const line of got) expect(line).not.toContain('short\n');
    });
  }

  it('reports every problem at once, in file order', () => {
    const yaml = `${base.replace('fps: 30', 'fps: 0')}    camera: { resolution: 1280x721 }\n  pi2:\n    address: 10.0.0.1\n`;
    const got = problems(yaml);
    expect(got).toEqual(['inventory.yaml:3:10 defaults.camera.fps: must be >= 1']);
    // Schema errors stop before rules run (a rule cannot reason about a mistyped value); fix those and the rest appear together.
    const fixed = problems(yaml.replace('fps: 0', 'fps: 30'));
    expect(fixed).toHaveLength(2);
    expect(fixed[0]).toMatch(/^inventory\.yaml:12:\d+ hosts\.pi1\.camera\.resolution/);
    expect(fixed[1]).toMatch(/^inventory\.yaml:14:14 hosts\.pi2\.address/);
  });

  it('never prints a secret value', () => {
    const secret = 'päss-not-ascii-€€';
    const got = problems(`${base}    groups: [hall]\n    hotspot: { mode: hostapd, ssid: cam1 }\n`, { HALL_PASS: secret });
    expect(got.join('\n')).toContain('passphrase');
    expect(got.join('\n')).not.toContain(secret);
  });
});

describe('resolution', () => {
  it('layers defaults < groups in the host order < host', () => {
    const inv = parseAndResolve(
      'inventory.yaml',
      `defaults: { camera: { fps: 10, bitrate: 1M } }
groups:
  a: { camera: { fps: 20, bitrate: 2M } }
  b: { camera: { fps: 25 } }
hosts:
  pi1: { address: h1, groups: [a, b] }
  pi2: { address: h2, groups: [b, a] }
  pi3: { address: h3, groups: [a, b], camera: { fps: 15 } }
`,
      '/x',
    );
    const fps = Object.fromEntries(inv.hosts.map((h) => [h.name, [h.camera.fps, h.camera.bitrate, h.camera.gop]]));
    expect(fps).toEqual({ pi1: [25, 2_000_000, 25], pi2: [20, 2_000_000, 20], pi3: [15, 2_000_000, 15] });
  });

  it('fills the seed hotspot addressing per mode', () => {
    const inv = parseAndResolve(
      'inventory.yaml',
      `defaults: { hotspot: { passphrase: twelve-chars!, country: DE } }
hosts:
  nm: { address: a, hotspot: { mode: networkmanager, ssid: x } }
  ap: { address: b, hotspot: { mode: hostapd, ssid: y } }
`,
      '/x',
    );
    expect(inv.hosts.map((h) => h.hotspot.address)).toEqual(['10.42.0.1', '192.168.50.1']);
    expect(inv.hosts[0]!.secrets).toEqual(['twelve-chars!']);
  });

  it('resolves secrets only for the selected hosts', () => {
    const yaml = `hosts:
  a: { address: a, hotspot: { mode: hostapd, ssid: x, country: GB, passphrase: { env: A_PASS } } }
  b: { address: b }
`;
    expect(() => parseAndResolve('i.yaml', yaml, '/x', { env: {} })).toThrow(InventoryError);
    expect(parseAndResolve('i.yaml', yaml, '/x', { env: {}, only: ['b'] }).hosts.map((h) => h.name)).toEqual(['b']);
  });
});
