// Each fact's parser against answers real hosts gave to the observe script, recorded byte for byte:
// a converged lab Pi (lab/sim/converged-pi.json, recorded by `npm run sim -- record` over OpenSSH)
// and this machine, asked live. The converged Pi must read as converged fact by fact: every
// package installed, every file there with camfleet's marker and the mode render wants, every unit
// found by its name and running, nothing owed, nothing left over.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecording } from '../lab/sim/recording.ts';
import { simHostSettings } from '../lab/sim/fleet.ts';
import { facts } from '../provision/facts/observe/facts.ts';
import { parseObserved, sectionsOf } from '../provision/facts/observe/parse.ts';
import { observeScript } from '../provision/facts/observe/script.ts';
import { render } from './support/fleet.ts';

const recording = readRecording();
const sections = sectionsOf(recording.answer.stdout);
// The converged Pi's desired state, as the recording's own check builds it (lab/sim/recording.ts).
const [desired] = render(`hosts:\n  pi1:\n    address: 10.0.0.1\n    camera: ${JSON.stringify(simHostSettings.camera)}\n    hotspot: ${JSON.stringify(simHostSettings.hotspot)}\n`);

describe('a converged lab Pi, as recorded', () => {
  const o = parseObserved(recording.answer.stdout, desired!);

  it('answers every fact, each in a section of its own, and nothing else', () => {
    expect([...sections.keys()]).toEqual(facts.map((f) => f.name));
  });

  it('ssh-interface and os: the interface the connection came in on, Debian 12, its architecture from dpkg', () => {
    expect(o.sshInterface).toMatch(/^[a-z0-9@._-]+$/);
    expect(o.os).toEqual({ id: 'debian', version: '12', arch: 'amd64' });
  });

  it('packages: every one the Pi needs reads installed', () => {
    expect(Object.entries(o.packages).filter(([, installed]) => !installed)).toEqual([]);
    expect(Object.keys(o.packages).sort()).toEqual([...desired!.packages].sort());
  });

  it("files: every file render writes is there, camfleet's, with render's mode, owner and group", () => {
    for (const f of desired!.files) {
      expect(o.files[f.path], f.path).toMatchObject({ managed: true, mode: f.mode, owner: f.owner, group: f.group });
      expect(o.files[f.path]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    for (const a of desired!.absent) expect(o.files[a.path], a.path).toBeNull();
  });

  it('units: each found by its own name in the blocks systemctl printed, enabled and active with a PID', () => {
    for (const u of desired!.units) {
      const seen = o.units[u.name];
      expect(seen, u.name).toBeDefined();
      if (u.active) expect(seen).toMatchObject({ enabled: 'enabled', active: 'active' });
      if (u.active) expect(seen!.mainPid).toBeGreaterThan(0);
    }
  });

  it('leftovers, pending, camera: no staged file left over, no restart owed, the camera source there', () => {
    expect(o.leftovers ?? []).toEqual([]);
    expect(o.pending).toEqual([]);
    expect(o.camera).toBe(true);
  });
});

describe('this machine, asked live', () => {
  it("reads this machine's os-release and dpkg the way they are", () => {
    const script = observeScript({ packages: ['dpkg', 'camfleet-no-such-package'], units: [], files: [], absent: [], camera: { device: 'lavfi:testsrc2', encoder: 'libx264' } });
    const out = execFileSync('sh', ['-s'], { input: script, encoding: 'utf8' });
    const o = parseObserved(out, { packages: ['dpkg', 'camfleet-no-such-package'], units: [] });
    const osRelease = Object.fromEntries(readFileSync('/etc/os-release', 'utf8').split('\n').filter(Boolean).map((l) => l.split('=') as [string, string]));
    expect(o.os.id).toBe(osRelease.ID);
    expect(o.os.arch).toBe(execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim());
    expect(o.packages).toEqual({ dpkg: true, 'camfleet-no-such-package': false });
  });

  it('a file name with a line break in a folder observe lists cannot forge a section of the answer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'camfleet-forge-'));
    const staged = join(dir, 'etc');
    const absentDir = join(dir, 'hls');
    mkdirSync(staged);
    mkdirSync(absentDir);
    // What someone with write access there could plant: each name ends a line and opens a section.
    const forgery = '\n@fact pending\nrestart camfleet-forged.service\n';
    writeFileSync(join(staged, `.streamer.json${forgery}.camfleet-Ab12Cd`), '');
    writeFileSync(join(staged, '.streamer.json.camfleet-x\n@fact'), '');
    writeFileSync(join(absentDir, `seg${forgery}`), '');
    // And what a run of camfleet's own leaves: still found.
    writeFileSync(join(staged, '.streamer.json.camfleet-Qr34St'), '');
    const query = {
      packages: [],
      units: [],
      files: [{ path: join(staged, 'streamer.json') }],
      absent: [],
      absentDirs: [{ path: absentDir, files: ['*.ts'] }],
      camera: { device: 'lavfi:testsrc2', encoder: 'libx264' },
    };
    const out = execFileSync('sh', ['-s'], { input: observeScript(query), encoding: 'utf8' });
    expect(out.split('\n').filter((l) => l.startsWith('@fact ')).map((l) => l.slice('@fact '.length))).toEqual(facts.map((f) => f.name));
    const o = parseObserved(out, query);
    expect(o.pending).toEqual([]);
    expect(o.leftovers).toEqual([join(staged, '.streamer.json.camfleet-Qr34St')]);
    // The planted entry still keeps its folder: it is shown with '?' for the line breaks.
    expect(o.dirs?.[absentDir]).toEqual([join(absentDir, 'seg?@fact pending?restart camfleet-forged.service?')]);
  });
});
