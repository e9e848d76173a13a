// observe -> plan -> apply on a host on this machine, without a lab Pi: the same
// .sh scripts, run by `sh -s` in a bubblewrap sandbox with a root of its own (provision/transport/
// local.ts). Real: sh, coreutils, dpkg-query, nginx -t, systemd-analyze verify, ss. Fake, because
// a sandbox has no running systemd: systemctl only (test/support/fakes/systemctl), which starts
// nothing, so verify finds no port listening, as it must. The lab e2e tests do the rest for real.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../provision/apply/apply.ts';
import { HostError } from '../provision/transport/host-error.ts';
import { describeStep } from '../provision/core/plan/describe.ts';
import { makePlan } from '../provision/core/plan/plan.ts';
import { paths } from '../provision/core/render/paths.ts';
import type { DesiredState } from '../provision/core/types.ts';
import { observeHost } from '../provision/facts/observe/observe.ts';
import { localHost, localHostUnavailable, type LocalHost } from '../provision/transport/local.ts';
import { missingPackages as missingHostPackages } from '../lab/host-packages.ts';
import { render } from './support/fleet.ts';

const fakes = new URL('./support/fakes', import.meta.url).pathname;

const [desired] = render(`hosts:
  pi1:
    address: 10.0.0.1
    camera: { device: 'lavfi:testsrc2', resolution: 640x360, fps: 15, encoder: libx264 }
    stream: { key: { env: KEY } }
    # Off: its HLS folder would be chowned to www-data, a user a user namespace without root cannot map.
    viewer: { enabled: false }
`, { KEY: 'secretKey42' }) as [DesiredState];

/** Packages this machine lacks: the sandbox sees its dpkg database, and installs nothing. */
const missingPackages = (): string[] => missingHostPackages(desired.packages);

const why =
  localHostUnavailable() ??
  (missingPackages().length ? `packages not installed here: ${missingPackages().join(' ')}` : undefined) ??
  // nginx -t chowns its folders to www-data: a user namespace made without root maps one uid only.
  (process.getuid?.() !== 0 ? 'nginx -t in the sandbox needs root (it chowns to www-data): sudo npx vitest run test/local-host.test.ts' : undefined);
if (why) console.warn(`skipping the local host tests: ${why}`);

describe.skipIf(!!why)('a local host: the real scripts in a sandbox, systemctl faked', () => {
  let host: LocalHost;
  const at = (path: string) => join(host.root, path);
  const calls = () => readFileSync(at('run/fake-systemctl/calls'), 'utf8').trim().split('\n');

  beforeAll(() => {
    host = localHost('pi1', { fakes });
  });
  afterAll(async () => {
    await host?.close();
  });

  it('a fresh host: observe finds nothing of camfleet, the plan writes every file and starts every unit', async () => {
    const observed = await observeHost(host, desired);
    expect(observed.os.id).toBe('debian');
    // Debian's own nginx.conf is there, not camfleet's; nothing else is.
    expect(observed.files[paths.nginxConf]).toMatchObject({ managed: false });
    for (const f of desired.files.filter((f) => f.path !== paths.nginxConf)) expect(observed.files[f.path], f.path).toBeNull();
    const steps = makePlan(desired, observed).steps.map(describeStep);
    expect(steps).toEqual(expect.arrayContaining([`create ${paths.streamerConfig}`, `create ${paths.streamKey}`, 'systemctl daemon-reload', 'enable camfleet-streamer.service']));
    expect(steps.join('\n')).not.toMatch(/install packages/);
  });

  it('apply writes every file whole, with its mode, runs the real checks, and fails verify: nothing listens', async () => {
    const plan = makePlan(desired, await observeHost(host, desired));
    const error = await applyPlan(host, plan).then(() => undefined, (e: HostError) => e);
    // The fake starts no process: verify, the plan's last step, names each port nothing listens on.
    expect(error).toBeInstanceOf(HostError);
    expect([error?.step, error?.message]).toEqual(['verify', 'services are not all up after apply']);
    expect(error?.stderr).toContain('nothing listens on TCP port 1935');
    expect(error?.stderr).toContain('nothing listens on TCP port 8080');
    expect(error?.stderr).not.toMatch(/is inactive/); // the units it started are active, as far as systemctl says
    for (const f of desired.files) {
      expect(readFileSync(at(f.path), 'utf8'), f.path).toBe(f.content);
      expect(statSync(at(f.path)).mode & 0o777, f.path).toBe(f.mode);
    }
    expect(calls()).toEqual(expect.arrayContaining(['daemon-reload', '--no-reload enable camfleet-streamer.service', 'restart camfleet-streamer.service', 'restart nginx.service']));
    // The enables skip systemd's own reload: the one daemon-reload after them comes before any restart.
    const callAt = (c: string) => calls().indexOf(c);
    expect(callAt('--no-reload enable camfleet-streamer.service')).toBeLessThan(callAt('daemon-reload'));
    expect(callAt('daemon-reload')).toBeLessThan(callAt('restart nginx.service'));
    // No staging debris: every temp file was renamed over its target.
    expect(execFileSync('find', [host.root, '-name', '.*.camfleet-*'], { encoding: 'utf8' })).toBe('');
  });

  it('a second run finds nothing to do', async () => {
    expect(makePlan(desired, await observeHost(host, desired)).steps.map(describeStep)).toEqual([]);
  });

  it('a hand edit on the host is drift: the plan rewrites that file and restarts only what reads it', async () => {
    writeFileSync(at(paths.streamerConfig), '{}\n');
    expect(makePlan(desired, await observeHost(host, desired)).steps.map(describeStep)).toEqual([
      `lock the Pi against other camfleet runs until this one ends (${paths.runLock})`,
      `update ${paths.streamerConfig}`,
      'commit 1 file(s) at once, first noting the 1 restart(s)/reload(s) they owe',
      `restart camfleet-streamer.service (${paths.streamerConfig} changed)`,
      'clear the note of owed restarts',
      'verify units active: nginx.service camfleet-streamer.service; ports listening: 1935 8080',
      'health gate: the stream LIVE at >= 13.5 fps (90% of 15) for 10 s, within 40 s; else roll back (restore 1 file(s), remove 0 created, restart camfleet-streamer.service) and check again',
    ]);
  });

  it('a config nginx -t refuses is never swapped in: the old one stays', async () => {
    const before = readFileSync(at(paths.nginxConf), 'utf8');
    const broken: DesiredState = { ...desired, files: desired.files.map((f) => (f.path === paths.nginxConf ? { ...f, content: `${f.content}\nbroken directive;\n` } : f)) };
    const plan = makePlan(broken, await observeHost(host, broken));
    const error = await applyPlan(host, plan).then(() => undefined, (e: Error) => e);
    expect(String(error?.message)).toMatch(/nginx/);
    expect(readFileSync(at(paths.nginxConf), 'utf8')).toBe(before);
  });
});
