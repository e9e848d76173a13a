// The pure plan: what converges a host, in what order, and nothing when it is converged.
import { metricsPaths } from '../provision/core/parts/metrics.ts';
import { describe, expect, it } from 'vitest';
import { describeStep } from '../provision/core/plan/describe.ts';
import { formatPlan, planToJson } from '../provision/core/plan/format.ts';
import { sha256 } from '../provision/core/plan/files.ts';
import { makePlan } from '../provision/core/plan/plan.ts';
import { changeCount, isChange } from '../provision/core/plan/steps.ts';
import { paths } from '../provision/core/render/paths.ts';
import { convergedObservation, freshObservation, render } from './support/fleet.ts';

const inventory = (bitrate = '2500k', mode = 'none') => `defaults:
  hotspot: { country: GB, passphrase: correct-horse-battery }
hosts:
  pi1: { address: 10.0.0.1, camera: { bitrate: ${bitrate} }, hotspot: { mode: ${mode}, ssid: cam } }
`;

/** The steps that change the host, in words (the contract's other steps are tested on their own below). */
const kinds = (plan: ReturnType<typeof makePlan>) => plan.steps.filter(isChange).map(describeStep);
/** Every step, as kind and subject. */
const contract = (plan: ReturnType<typeof makePlan>) => plan.steps.map((s) => [s.kind, 'path' in s ? s.path : 'unit' in s ? s.unit : ''].join(' ').trim());

describe('plan', () => {
  it('takes a fresh host all the way: packages, files, enable (each without its own reload), one daemon-reload, reload/restart', () => {
    const [desired] = render(inventory());
    const plan = makePlan(desired!, freshObservation(desired!));
    expect(kinds(plan)).toEqual([
      'install packages nginx libnginx-mod-rtmp ffmpeg nodejs',
      `create ${paths.nginxConf}`,
      `create ${paths.streamerConfig}`,
      `create ${paths.streamKey}`,
      `create ${paths.streamerBundle}`,
      `create ${paths.streamerUnit}`,
      `create ${paths.nginxDropIn}`,
      `create ${paths.viewerPage}`,
      `create ${paths.viewerApp}`,
      `create ${paths.viewerHlsLibrary}`,
      `create ${paths.webrtcConfig}`,
      `create ${paths.webrtcService}`,
      `create ${paths.webrtcUnit}`,
      `create ${metricsPaths.version}`,
      `create ${metricsPaths.down}`,
      'enable nginx.service',
      'enable camfleet-streamer.service',
      'enable camfleet-webrtc.service',
      'systemctl daemon-reload',
      `restart nginx.service (${paths.nginxConf} changed)`,
      `restart camfleet-streamer.service (${paths.streamerUnit}, ${paths.streamerConfig}, ${paths.streamKey}, ${paths.streamerBundle} changed)`,
      `restart camfleet-webrtc.service (${paths.webrtcUnit}, ${paths.webrtcConfig}, ${paths.webrtcService} changed)`,
    ]);
    expect(plan.warnings).toContain('camera device not found: the streamer will wait for it');
  });

  it('has nothing to do on a converged host', () => {
    const [desired] = render(inventory());
    const plan = makePlan(desired!, convergedObservation(desired!));
    expect(plan.steps).toEqual([]);
    expect(formatPlan(plan)).toBe('pi1: in sync, nothing to do');
  });

  it('a bitrate change rewrites only the streamer config and restarts only the streamer (camfleet-webrtc takes the new encode as a new RTP stream)', () => {
    const [before] = render(inventory('2500k'));
    const [after] = render(inventory('1M'));
    const plan = makePlan(after!, convergedObservation(before!));
    // ... and camfleet's version of the config (parts/metrics.ts), which changes with any change and restarts nothing.
    expect(kinds(plan)).toEqual([`update ${paths.streamerConfig}`, `update ${metricsPaths.version}`, `restart camfleet-streamer.service (${paths.streamerConfig} changed)`]);
  });

  it('removes first what an unfinished run staged and never committed, and nothing else', () => {
    const [desired] = render(inventory());
    const observed = { ...convergedObservation(desired!), leftovers: ['/etc/nginx/.nginx.conf.camfleet-Ab12Cd'] };
    const plan = makePlan(desired!, observed);
    expect(plan.steps[1]).toEqual({ kind: 'remove-leftovers', paths: ['/etc/nginx/.nginx.conf.camfleet-Ab12Cd'] });
    expect(contract(plan)).toEqual([`lock ${paths.runLock}`, 'remove-leftovers', 'verify', 'health-gate']);
    expect(formatPlan(plan)).toContain('- remove 1 file(s) an unfinished run staged: /etc/nginx/.nginx.conf.camfleet-Ab12Cd');
  });

  it('a mode or owner change alone rewrites metadata and restarts nothing', () => {
    const [desired] = render(inventory());
    const observed = convergedObservation(desired!);
    observed.files[paths.streamerConfig] = { ...observed.files[paths.streamerConfig]!, mode: 0o666 };
    expect(kinds(makePlan(desired!, observed))).toEqual([`set mode/owner of ${paths.streamerConfig}`]);
  });

  it('starts a service that is down without touching its files', () => {
    const [desired] = render(inventory());
    const observed = convergedObservation(desired!);
    observed.units['camfleet-streamer.service'] = { enabled: 'enabled', active: 'failed', mainPid: 0 };
    expect(kinds(makePlan(desired!, observed))).toEqual(['start camfleet-streamer.service']);
  });

  it('carries out restarts an interrupted run owed', () => {
    const [desired] = render(inventory());
    const observed = convergedObservation(desired!);
    observed.pending = [{ action: 'reload', unit: 'nginx.service' }];
    expect(kinds(makePlan(desired!, observed))).toEqual(['reload nginx.service (an interrupted run changed)']);
  });

  it('unmasks hostapd (Debian ships it masked) before enabling it, and reloads systemd before starting it (both run --no-reload)', () => {
    const [desired] = render(inventory('2500k', 'hostapd'));
    const observed = convergedObservation(desired!);
    observed.units['hostapd.service'] = { enabled: 'masked', active: 'inactive', mainPid: 0 };
    expect(kinds(makePlan(desired!, observed))).toEqual(['unmask hostapd.service', 'enable hostapd.service', 'systemctl daemon-reload', 'start hostapd.service']);
  });

  it('switching hotspot mode stops the old mode before removing its files, and removes only camfleet files', () => {
    const [nm] = render(inventory('2500k', 'networkmanager'));
    const [ap] = render(inventory('2500k', 'hostapd'));
    const observed = convergedObservation(nm!);
    // hostapd's units exist (installed earlier) but are off; the NM hotspot is running.
    observed.units['hostapd.service'] = { enabled: 'disabled', active: 'inactive', mainPid: 0 };
    // An operator's own file where camfleet wants none stays.
    observed.files[paths.nmConnection] = { sha256: 'x', mode: 0o600, owner: 'root', group: 'root', managed: true };
    observed.files[paths.nmHotspotUnit] = { sha256: 'y', mode: 0o644, owner: 'root', group: 'root', managed: false };
    const steps = kinds(makePlan(ap!, observed));
    const at = (s: string) => steps.indexOf(s);
    expect(at('stop camfleet-hotspot.service')).toBeGreaterThan(-1);
    expect(at('stop camfleet-hotspot.service')).toBeLessThan(at(`remove ${paths.nmConnection}`));
    expect(steps).not.toContain(`remove ${paths.nmHotspotUnit}`);
    expect(at(`remove ${paths.nmConnection}`)).toBeLessThan(at('start hostapd.service') === -1 ? at('restart hostapd.service (/etc/hostapd/hostapd.conf changed)') : at('start hostapd.service'));
  });

  it('a unit turned off with nothing else changed: stop, disable without its own reload, then the one daemon-reload', () => {
    const [nm] = render(inventory('2500k', 'networkmanager'));
    const observed = convergedObservation(nm!);
    // hostapd, enabled and running by hand, where camfleet runs the NetworkManager hotspot.
    observed.units['hostapd.service'] = { enabled: 'enabled', active: 'active', mainPid: 42 };
    expect(contract(makePlan(nm!, observed))).toEqual([`lock ${paths.runLock}`, 'stop hostapd.service', 'disable hostapd.service', 'daemon-reload', 'verify', 'health-gate']);
  });

  it('diffs are unified and never show a secret', () => {
    const [desired] = render(inventory('2500k', 'hostapd'));
    const observed = convergedObservation(desired!);
    const hostapd = desired!.files.find((f) => f.path === paths.hostapdConf)!;
    const old = hostapd.content.replace('correct-horse-battery', 'old-secret-passphrase').replace('channel=6', 'channel=1');
    observed.files[paths.hostapdConf] = { ...observed.files[paths.hostapdConf]!, sha256: sha256(old) };
    const plan = makePlan(desired!, observed, { [paths.hostapdConf]: old });
    const text = formatPlan(plan, { diff: true });
    expect(text).toContain('-channel=1');
    expect(text).toContain('+channel=6');
    expect(text).not.toContain('correct-horse-battery');
    expect(text).not.toContain('old-secret-passphrase');
    expect(JSON.stringify(planToJson(plan))).not.toContain('correct-horse-battery');
  });

  it('flags a hotspot change over the Wi-Fi interface this SSH connection uses, and only then', () => {
    const [desired] = render(inventory('2500k', 'hostapd'));
    const overWifi = { ...freshObservation(desired!), sshInterface: 'wlan0' };
    const guard = (plan: ReturnType<typeof makePlan>) => plan.steps.filter((s) => s.kind === 'guard-ssh');
    const plan = makePlan(desired!, overWifi);
    // The guard is the plan's first step: apply stops there, before anything is changed.
    expect(plan.steps[0]).toMatchObject({ kind: 'guard-ssh', interface: 'wlan0', reason: expect.stringMatching(/runs over wlan0, the interface the hotspot takes over/) });
    expect(guard(plan)).toHaveLength(1);
    expect(formatPlan(plan)).toMatch(/^ {2}! safety check: this SSH connection runs over wlan0/m);
    // Allowed (--allow-ssh-cutoff): no guard, but the operator is still told.
    const allowed = makePlan(desired!, overWifi, {}, { allowSshCutoff: true });
    expect(guard(allowed)).toEqual([]);
    expect(allowed.warnings.join('\n')).toMatch(/runs over wlan0/);
    expect(allowed.steps).toEqual(plan.steps.slice(1));
    expect(guard(makePlan(desired!, { ...overWifi, sshInterface: 'eth0' }))).toEqual([]);
    const [noHotspot] = render(inventory('2500k', 'none'));
    expect(guard(makePlan(noHotspot!, { ...freshObservation(noHotspot!), sshInterface: 'wlan0' }))).toEqual([]);
  });
});

describe('the plan is the whole contract: every step apply runs, in order, the first taking the Pi\'s lock against a second run', () => {
  const [desired] = render(inventory());
  const active = desired!.units.filter((u) => u.active).map((u) => u.name);
  const verify = { kind: 'verify', units: active, ports: desired!.listen };

  it('an nginx config change: stage it, commit noting the restart owed, restart, clear the note, verify', () => {
    const observed = convergedObservation(desired!);
    observed.files[paths.nginxConf] = { ...observed.files[paths.nginxConf]!, sha256: sha256('# tuned by hand\n') };
    const plan = makePlan(desired!, observed);
    expect(contract(plan)).toEqual([`lock ${paths.runLock}`, `write-file ${paths.nginxConf}`, 'commit-files', 'restart nginx.service', 'clear-pending', 'verify', 'health-gate']);
    expect(plan.steps[0]).toEqual({ kind: 'lock', path: '/run/camfleet.lock' });
    expect(plan.steps[2]).toEqual({ kind: 'commit-files', paths: [paths.nginxConf], owed: [{ action: 'restart', unit: 'nginx.service' }], note: paths.pendingRestarts, keepPrevious: true });
    expect(plan.steps[4]).toEqual({ kind: 'clear-pending', note: paths.pendingRestarts });
    expect(plan.steps.at(-2)).toEqual(verify);
    expect(changeCount(plan)).toBe(2);
    expect(formatPlan(plan)).toMatch(/^pi1: 2 changes pending$/m);
    expect(planToJson(plan)).toMatchObject({ changes: 2, steps: plan.steps.map((s) => ({ kind: s.kind })) });
  });

  it('a unit file change: stage, commit, daemon-reload before the restart it owes, clear the note, verify', () => {
    const observed = convergedObservation(desired!);
    observed.files[paths.streamerUnit] = { ...observed.files[paths.streamerUnit]!, sha256: sha256('[Service]\n') };
    const plan = makePlan(desired!, observed);
    expect(contract(plan)).toEqual([`lock ${paths.runLock}`, `write-file ${paths.streamerUnit}`, 'commit-files', 'daemon-reload', 'restart camfleet-streamer.service', 'clear-pending', 'verify', 'health-gate']);
    expect(plan.steps[2]).toMatchObject({ kind: 'commit-files', owed: [{ action: 'restart', unit: 'camfleet-streamer.service' }] });
  });

  it('the health gate comes last, after verify, with the rollback of exactly what the commit swapped in', () => {
    const observed = convergedObservation(desired!);
    observed.files[paths.nginxConf] = { ...observed.files[paths.nginxConf]!, sha256: sha256('# tuned by hand\n') };
    delete observed.files[paths.webrtcConfig];
    const plan = makePlan(desired!, observed);
    expect(plan.steps.at(-1)).toEqual({
      kind: 'health-gate',
      fps: 30,
      minFps: 27,
      settleSeconds: 10,
      timeoutSeconds: 40,
      statPort: desired!.health!.statPort,
      application: 'live',
      rollback: {
        restore: [paths.nginxConf],
        remove: [paths.webrtcConfig],
        daemonReload: false,
        restarts: (plan.steps.find((s) => s.kind === 'commit-files') as { owed: unknown }).owed,
        note: paths.pendingRestarts,
      },
    });
    expect(plan.steps.find((s) => s.kind === 'commit-files')).toMatchObject({ keepPrevious: true });
    // The gate shows in --check and --plan-out (the JSON), and is no change of its own.
    expect(formatPlan(plan)).toMatch(/^  · health gate: the stream LIVE at >= 27 fps \(90% of 30\) for 10 s, within 40 s; else roll back \(restore 1 file\(s\), remove 1 created, restart .*nginx\.service.*\) and check again$/m);
    expect(planToJson(plan).steps.at(-1)).toMatchObject({ kind: 'health-gate', description: expect.stringMatching(/^health gate: /) });
    expect(changeCount(plan)).toBe(changeCount({ ...plan, steps: plan.steps.filter((s) => s.kind !== 'health-gate') }));
  });

  it('--health-timeout and --no-rollback shape the gate; --no-rollback keeps no previous versions', () => {
    const observed = convergedObservation(desired!);
    observed.files[paths.streamerConfig] = { ...observed.files[paths.streamerConfig]!, sha256: sha256('{}\n') };
    const plan = makePlan(desired!, observed, {}, { settleSeconds: 3, noRollback: true });
    expect(plan.steps.at(-1)).toMatchObject({ kind: 'health-gate', settleSeconds: 3, timeoutSeconds: 33, rollback: expect.stringMatching(/--no-rollback/) });
    expect(plan.steps.find((s) => s.kind === 'commit-files')).not.toHaveProperty('keepPrevious');
    expect(formatPlan(plan)).toMatch(/health gate: .* for 3 s, within 33 s; not rolled back \(--no-rollback\)/);
  });

  it('--health-startup widens the window beyond the settle time, and only that', () => {
    const observed = convergedObservation(desired!);
    observed.files[paths.streamerConfig] = { ...observed.files[paths.streamerConfig]!, sha256: sha256('{}\n') };
    const plan = makePlan(desired!, observed, {}, { settleSeconds: 3, startupSeconds: 90 });
    expect(plan.steps.at(-1)).toMatchObject({ kind: 'health-gate', settleSeconds: 3, timeoutSeconds: 93 });
    expect(formatPlan(plan)).toMatch(/health gate: .* for 3 s, within 93 s; else roll back/);
  });

  it('a unit file among the swapped files: the rollback reloads systemd before its restarts', () => {
    const observed = convergedObservation(desired!);
    observed.files[paths.streamerUnit] = { ...observed.files[paths.streamerUnit]!, sha256: sha256('[Service]\n') };
    expect(makePlan(desired!, observed).steps.at(-1)).toMatchObject({
      rollback: { restore: [paths.streamerUnit], remove: [], daemonReload: true, restarts: [{ action: 'restart', unit: 'camfleet-streamer.service' }] },
    });
  });

  it('a unit the change creates goes with its file on a rollback: it is removed, not restarted (no unit to restart)', () => {
    const observed = convergedObservation(desired!);
    observed.files[paths.streamerUnit] = null;
    observed.files[paths.streamerConfig] = { ...observed.files[paths.streamerConfig]!, sha256: sha256('{}') };
    const gate = makePlan(desired!, observed).steps.at(-1);
    expect(gate).toMatchObject({ kind: 'health-gate', rollback: { remove: [paths.streamerUnit], daemonReload: true, restarts: [] } });
  });

  it('a first install is gated but has nothing to roll back to; an origin (no camera of its own) has no gate', () => {
    const fresh = makePlan(desired!, freshObservation(desired!));
    expect(fresh.steps.at(-1)).toMatchObject({ kind: 'health-gate', rollback: expect.stringMatching(/first install/) });
    expect(fresh.steps.find((s) => s.kind === 'commit-files')).not.toHaveProperty('keepPrevious');
    const origin = { ...desired!, health: undefined };
    expect(makePlan(origin, freshObservation(origin)).steps.map((s) => s.kind)).not.toContain('health-gate');
  });

  it('a no-op: no steps at all, not even the check', () => {
    const plan = makePlan(desired!, convergedObservation(desired!));
    expect(plan.steps).toEqual([]);
    expect(planToJson(plan)).toMatchObject({ changes: 0, steps: [] });
    // So no health gate either: a healthy no-op rollout costs no settle time.
    expect(formatPlan(plan)).not.toMatch(/health gate/);
  });

  it('a mode change alone is committed too, owing nothing: no note to clear', () => {
    const observed = convergedObservation(desired!);
    observed.files[paths.streamerConfig] = { ...observed.files[paths.streamerConfig]!, mode: 0o666 };
    const plan = makePlan(desired!, observed);
    expect(contract(plan)).toEqual([`lock ${paths.runLock}`, `write-file ${paths.streamerConfig}`, 'commit-files', 'verify', 'health-gate']);
    expect(plan.steps[2]).toMatchObject({ paths: [paths.streamerConfig], owed: [] });
  });

  it('restarts owed by an interrupted run: carried out and the note cleared, no commit (nothing to swap in)', () => {
    const observed = convergedObservation(desired!);
    observed.pending = [{ action: 'restart', unit: 'camfleet-streamer.service' }];
    expect(contract(makePlan(desired!, observed))).toEqual([`lock ${paths.runLock}`, 'restart camfleet-streamer.service', 'clear-pending', 'verify', 'health-gate']);
  });

  it('a run cut off between its commit and its daemon-reload: the next one reloads systemd before the restart it owes', () => {
    const observed = convergedObservation(desired!);
    observed.pending = [{ action: 'restart', unit: 'camfleet-streamer.service' }];
    observed.units['camfleet-streamer.service'] = { ...observed.units['camfleet-streamer.service']!, needsReload: true };
    expect(contract(makePlan(desired!, observed))).toEqual([`lock ${paths.runLock}`, 'daemon-reload', 'restart camfleet-streamer.service', 'clear-pending', 'verify', 'health-gate']);
  });

  it('a fresh host: packages, every file staged, one commit owing every restart, then the units', () => {
    const plan = makePlan(desired!, freshObservation(desired!));
    const kindsInOrder = [...new Set(plan.steps.map((s) => s.kind))];
    expect(kindsInOrder).toEqual(['lock', 'install-packages', 'write-file', 'commit-files', 'enable', 'daemon-reload', 'restart', 'clear-pending', 'verify', 'health-gate']);
    const commit = plan.steps.find((s) => s.kind === 'commit-files');
    expect(commit).toMatchObject({ paths: desired!.files.map((f) => f.path) });
    const owed = plan.steps.flatMap((s) => (s.kind === 'restart' || s.kind === 'reload' ? [{ action: s.kind, unit: s.unit }] : []));
    expect(commit).toMatchObject({ owed });
  });
});

describe('turning the viewer off takes its folders too', () => {
  const withViewer = (on: boolean) => `hosts:\n  pi1: { address: 10.0.0.1, viewer: { enabled: ${on} } }\n`;
  const pageFiles = [paths.viewerPage, paths.viewerApp, paths.viewerHlsLibrary];
  /** A Pi that served the page: its files there, HLS fragments in memory, as observe would find it with the viewer now off. */
  const servedThePage = (holds: Record<string, string[]>) => {
    const [on] = render(withViewer(true));
    const [off] = render(withViewer(false));
    const observed = convergedObservation(on!);
    observed.dirs = holds;
    return { off: off!, observed };
  };

  it('removes the HLS fragments with their folder, and the page folder once its files are gone, after nginx stops writing there', () => {
    // observe lists what a folder holds beyond its patterns: the page's three files (which this
    // plan removes); the fragments and playlist are covered by the HLS folder's patterns.
    const { off, observed } = servedThePage({ [paths.hlsDir]: [], [paths.viewerRoot]: pageFiles });
    const plan = makePlan(off, observed);
    const steps = contract(plan);
    expect(steps).toEqual(expect.arrayContaining([`remove-dir ${paths.hlsDir}`, `remove-dir ${paths.viewerRoot}`]));
    // nginx is restarted, not reloaded: a reload would leave its old worker writing HLS for the
    // stream still connected to it. The folders go after that and after every file removal.
    expect(steps).toContain('restart nginx.service');
    expect(steps).not.toContain('reload nginx.service');
    const lastOther = Math.max(...pageFiles.map((p) => steps.indexOf(`remove-file ${p}`)), steps.indexOf('restart nginx.service'));
    expect(steps.indexOf(`remove-dir ${paths.hlsDir}`)).toBeGreaterThan(lastOther);
    expect(plan.steps.find((s) => s.kind === 'remove-dir' && s.path === paths.hlsDir)).toMatchObject({ files: ['*.m3u8', '*.ts'] });
    expect(describeStep(plan.steps.find((s) => s.kind === 'remove-dir' && s.path === paths.hlsDir)!)).toBe(`remove ${paths.hlsDir}/ and the *.m3u8, *.ts in it`);
  });

  it("keeps a folder holding anything else (the operator's), and is then in sync", () => {
    const { off, observed } = servedThePage({ [paths.viewerRoot]: [`${paths.viewerRoot}/notes.txt`] });
    for (const p of pageFiles) observed.files[p] = null;
    const plan = makePlan(off, { ...observed, units: { ...observed.units, 'camfleet-webrtc.service': { enabled: 'not-found', active: 'inactive', mainPid: 0 } } });
    expect(contract(plan).filter((s) => s.startsWith('remove-dir'))).toEqual([]);
  });

  /** The viewer's files already gone and nginx.conf already without HLS: what a run cut off after its commit leaves. */
  const cutOffAfterCommit = () => {
    const { off, observed } = servedThePage({ [paths.hlsDir]: [] });
    for (const p of [...pageFiles, paths.webrtcUnit, paths.webrtcConfig, paths.webrtcService]) observed.files[p] = null;
    for (const p of [paths.nginxConf, metricsPaths.version]) observed.files[p] = { sha256: sha256(off.files.find((f) => f.path === p)!.content), mode: 0o644, owner: 'root', group: 'root', managed: true };
    return { off, observed: { ...observed, units: { ...observed.units, 'camfleet-webrtc.service': { enabled: 'not-found', active: 'inactive', mainPid: 0 } } } };
  };

  it('HLS output left behind, nginx still owing its restart: nginx restarted first, then the folder removed', () => {
    const { off, observed } = cutOffAfterCommit();
    observed.pending = [{ action: 'restart', unit: 'nginx.service' }];
    expect(contract(makePlan(off, observed))).toEqual([`lock ${paths.runLock}`, 'restart nginx.service', `remove-dir ${paths.hlsDir}`, 'clear-pending', 'verify', 'health-gate']);
  });

  it('HLS output left behind, nginx already restarted on the config without HLS: only the folder goes', () => {
    const { off, observed } = cutOffAfterCommit();
    expect(kinds(makePlan(off, observed))).toEqual([`remove ${paths.hlsDir}/ and the *.m3u8, *.ts in it`]);
  });

  it('folders already gone: nothing to do', () => {
    const { off, observed } = servedThePage({});
    expect(contract(makePlan(off, observed)).filter((s) => s.startsWith('remove-dir'))).toEqual([]);
  });
});
