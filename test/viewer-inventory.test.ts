// The inventory's `viewer` section: defaults, layering, and the mistakes refused with file:line:col.
import { parseAndResolve } from '../provision/core/inventory/load.ts';
import { inventoryProblems as problems } from './support/inventory-problems.ts';
import { describe, expect, it } from 'vitest';


describe('viewer settings', () => {
  it('is on by default, on port 80, offering WebRTC first and HLS after it', () => {
    const inv = parseAndResolve('inventory.yaml', 'hosts:\n  pi1: { address: 10.0.0.1 }\n', '/x');
    expect(inv.hosts[0]!.viewer).toEqual({ enabled: true, port: 80, paths: ['webrtc', 'hls'] });
  });

  it('layers like every other section: a group turns it off, a host turns it back on with its own port', () => {
    const inv = parseAndResolve(
      'inventory.yaml',
      `groups:
  quiet: { viewer: { enabled: false } }
hosts:
  a: { address: a, groups: [quiet] }
  b: { address: b, groups: [quiet], viewer: { enabled: true, port: 8000 } }
`,
      '/x',
    );
    expect(inv.hosts.map((h) => [h.viewer.enabled, h.viewer.port])).toEqual([
      [false, 80],
      [true, 8000],
    ]);
  });

  const cases: { name: string; yaml: string; expected: string[] }[] = [
    {
      name: 'the viewer port is the stat port set in defaults',
      yaml: 'defaults:\n  stream:\n    statPort: 8000\nhosts:\n  pi1:\n    address: 10.0.0.1\n    viewer: { port: 8000 }\n',
      expected: ['inventory.yaml:7:21 hosts.pi1.viewer.port: port 8000 is already the statistics port (stream.statPort, set at inventory.yaml:3:15): give the viewer another port'],
    },
    {
      name: "the viewer port is the RTMP port's built-in default",
      yaml: 'defaults:\n  viewer:\n    port: 1935\nhosts:\n  pi1: { address: 10.0.0.1 }\n',
      expected: ['inventory.yaml:3:11 defaults.viewer.port: port 1935 is already the RTMP port (stream.port, built-in default): give the viewer another port'],
    },
    {
      name: "the viewer port is sshd's",
      yaml: 'hosts:\n  pi1:\n    address: 10.0.0.1\n    ssh: { port: 2222 }\n    viewer: { port: 2222 }\n',
      expected: ["inventory.yaml:5:21 hosts.pi1.viewer.port: port 2222 is already sshd's port (ssh.port, set at inventory.yaml:4:18): give the viewer another port"],
    },
    {
      name: "the viewer port is the WebRTC service's own",
      yaml: 'hosts:\n  pi1:\n    address: 10.0.0.1\n    viewer: { port: 8889 }\n',
      expected: ["inventory.yaml:4:21 hosts.pi1.viewer.port: port 8889 is already the WebRTC service's own port (viewer.paths, built-in default): give the viewer another port"],
    },
    {
      name: 'a clash does not matter while the viewer is off',
      yaml: 'hosts:\n  pi1: { address: 10.0.0.1, viewer: { enabled: false, port: 8080 } }\n',
      expected: [],
    },
    {
      name: 'port out of range',
      yaml: 'hosts:\n  pi1: { address: 10.0.0.1, viewer: { port: 70000 } }\n',
      expected: ['inventory.yaml:2:45 hosts.pi1.viewer.port: must be <= 65535'],
    },
    {
      name: 'enabled is not a boolean',
      yaml: 'hosts:\n  pi1: { address: 10.0.0.1, viewer: { enabled: yes please } }\n',
      expected: ['inventory.yaml:2:48 hosts.pi1.viewer.enabled: must be a boolean'],
    },
    {
      name: 'an unknown playback path',
      yaml: 'hosts:\n  pi1: { address: 10.0.0.1, viewer: { paths: [dash] } }\n',
      expected: [expect.stringMatching(/^inventory\.yaml:2:47 hosts\.pi1\.viewer\.paths\.0: must be one of/) as unknown as string],
    },
    {
      name: 'no playback path at all',
      yaml: 'hosts:\n  pi1: { address: 10.0.0.1, viewer: { paths: [] } }\n',
      expected: ['inventory.yaml:2:39 hosts.pi1.viewer.paths: must NOT have fewer than 1 items'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(problems(c.yaml)).toEqual(c.expected));
  }
});
