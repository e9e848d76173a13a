// The parts of a Pi (provision/core/parts/): a new part is one module plus one line in the registry,
// no two parts write the same file, and every package list derives from the parts.
import { describe, expect, it } from 'vitest';
import { parts, allPackages, basePackages, checkPackages } from '../provision/core/parts/parts.ts';
import { absentFiles, offUnit, onUnit, type Part } from '../provision/core/parts/part.ts';
import { renderHost } from '../provision/core/render/render.ts';
import { compileTemplates } from '../provision/core/render/templates.ts';
import { makePlan } from '../provision/core/plan/plan.ts';
import { packages as vmPackages } from '../lab/vm/image.ts';
import { readPackageList, testPackages } from '../lab/host-packages.ts';
import { convergedObservation, resolve, templates, bundle, viewerAssets } from './support/fleet.ts';

const fleet = `defaults:
  hotspot: { country: GB, passphrase: abcdefgh12 }
hosts:
  nm: { address: 10.0.0.1, hotspot: { mode: networkmanager, ssid: nm } }
  ap: { address: 10.0.0.2, hotspot: { mode: hostapd, ssid: ap }, viewer: { paths: [hls] } }
  plain: { address: 10.0.0.3, viewer: { enabled: false } }
`;

// The whole of a new part: its module (here inline) ...
const motdPath = '/etc/systemd/system/camfleet-motd.service';
const motd: Part = {
  name: 'motd',
  packages: ['figlet'],
  enabled: (host) => host.viewer.enabled,
  on: ({ host, template }) => ({ files: [template(motdPath, 'camfleet-motd.service', 'systemd')], units: [onUnit('camfleet-motd.service', [motdPath])], listen: [host.viewer.port + 1] }),
  off: () => ({ absent: absentFiles([motdPath]), units: [offUnit('camfleet-motd.service')] }),
};
// ... and its line in the registry (parts.ts), and its template.
const withMotd = [...parts, motd];
const motdTemplates = { ...templates, ...compileTemplates({ 'camfleet-motd.service': '[Unit]\nDescription=camfleet motd for {{host}}\n[Service]\nExecStart=/usr/bin/figlet {{host}}\n' }) };

describe('parts of a Pi', () => {
  it('a new part is one module plus one registry line: render installs, writes, runs, checks and removes it', () => {
    const [nm, , plain] = resolve(fleet);
    const before = renderHost(nm!, { templates, streamerBundle: bundle, viewerAssets });
    const after = renderHost(nm!, { templates: motdTemplates, streamerBundle: bundle, viewerAssets }, withMotd);
    expect(after.packages).toEqual([...before.packages, 'figlet']);
    expect(after.files.at(-1)).toMatchObject({ path: motdPath, content: expect.stringContaining('figlet nm'), validate: 'systemd' });
    expect(after.units.at(-1)).toMatchObject({ name: 'camfleet-motd.service', enabled: true, restartOn: [motdPath] });
    expect(after.listen).toEqual([...before.listen, 81]);
    // The plan of a Pi converged before the part came writes its file and starts its unit.
    const steps = makePlan(after, convergedObservation(before)).steps.map((s) => `${s.kind} ${'path' in s ? s.path : 'unit' in s ? s.unit : ''}`);
    expect(steps).toEqual(expect.arrayContaining(['install-packages ', `write-file ${motdPath}`, 'enable camfleet-motd.service', 'restart camfleet-motd.service']));
    // Off on a host: its file is removed and its unit stopped.
    const off = renderHost(plain!, { templates: motdTemplates, streamerBundle: bundle, viewerAssets }, withMotd);
    expect(off.absent.at(-1)).toEqual({ path: motdPath });
    expect(off.units.at(-1)).toEqual(offUnit('camfleet-motd.service'));
  });

  it('no two parts write, or remove, the same file', () => {
    for (const host of resolve(fleet)) {
      const state = renderHost(host, { templates, streamerBundle: bundle, viewerAssets });
      const written = state.files.map((f) => f.path);
      expect(new Set(written).size, host.name).toBe(written.length);
      expect(state.absent.filter((a) => written.includes(a.path)), host.name).toEqual([]);
    }
    expect(new Set(parts.map((p) => p.name)).size).toBe(parts.length);
  });

  it('every package list derives from the parts', () => {
    // The lab's container image hashes this list, in this order: a change rebuilds it.
    expect(basePackages).toEqual(['nginx', 'libnginx-mod-rtmp', 'ffmpeg', 'nodejs']);
    expect(checkPackages).toEqual(['nginx', 'libnginx-mod-rtmp']);
    // The VM lab Pi pre-installs every part's packages.
    expect(vmPackages).toEqual(expect.arrayContaining([...allPackages]));
    // The test machine gets what a Pi runs from the parts, the test-only tools from .ci/apt-packages,
    // which names no part's package itself.
    expect(testPackages()).toEqual(expect.arrayContaining([...basePackages, ...checkPackages, ...readPackageList()]));
    expect(readPackageList().filter((p) => allPackages.includes(p))).toEqual([]);
  });
});
