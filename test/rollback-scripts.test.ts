// The health gate's scripts, run for real on this machine in a scratch folder (no lab Pi): the
// commit keeps each replaced file's previous version beside it; the rollback renames them back,
// removes what the commit created, reloads and restarts, and clears its note; a rollback cut off
// and run again ends the same; the gate itself passes a steady stream and names what is wrong.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitScript, healthGateScript, keptVersion, rollbackScript } from '../provision/apply/scripts.ts';
import type { Rollback, Step } from '../provision/core/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'camfleet-rollback-'));
const bin = join(dir, 'bin');
const calls = join(dir, 'calls');
const at = (name: string) => join(dir, 'etc', name);
/** Run a script as `sh -s` does on a Pi, with a systemctl that records its calls (and says MainPID 4242). */
const sh = (script: string) => spawnSync('sh', ['-s'], { input: script, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });

/** The same, not blocking this process: the gate reads a statistics page this process serves. */
function shAsync(script: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-s'], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(script);
  });
}

beforeAll(() => {
  spawnSync('mkdir', ['-p', bin, join(dir, 'etc')]);
  writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> ${calls}\n[ "$1" = show ] && echo 4242\nexit 0\n`);
  chmodSync(join(bin, 'systemctl'), 0o755);
});

describe('commit keeps the previous versions; rollback puts them back', () => {
  const rollback: Rollback = {
    restore: [at('a.conf')],
    remove: [at('b.conf')],
    daemonReload: true,
    restarts: [
      { action: 'restart', unit: 'camfleet-streamer.service' },
      { action: 'reload', unit: 'nginx.service' },
    ],
    note: join(dir, 'pending-restarts'),
  };

  it('commit: the new files in place, the replaced one kept as a hard link beside it, hidden', () => {
    writeFileSync(at('a.conf'), 'old\n');
    writeFileSync(at('.a.conf.camfleet-AAAAAA'), 'new\n');
    writeFileSync(at('.b.conf.camfleet-BBBBBB'), 'created\n');
    const moves = [
      { staged: at('.a.conf.camfleet-AAAAAA'), path: at('a.conf') },
      { staged: at('.b.conf.camfleet-BBBBBB'), path: at('b.conf') },
    ];
    const r = sh(commitScript(moves, [], rollback.restarts, rollback.note, true));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(at('a.conf'), 'utf8')).toBe('new\n');
    expect(keptVersion(at('a.conf'))).toBe(at('.a.conf.camfleet-prev'));
    expect(readFileSync(at('.a.conf.camfleet-prev'), 'utf8')).toBe('old\n');
    // A created file has no previous version.
    expect(readdirSync(join(dir, 'etc')).sort()).toEqual(['.a.conf.camfleet-prev', 'a.conf', 'b.conf']);
  });

  it('rollback: the old file back, the created one gone, daemon-reload before the restarts, the note cleared', () => {
    writeFileSync(calls, '');
    const r = sh(rollbackScript(rollback));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(at('a.conf'), 'utf8')).toBe('old\n');
    expect(readdirSync(join(dir, 'etc'))).toEqual(['a.conf']);
    expect(readFileSync(calls, 'utf8')).toBe('daemon-reload\nrestart camfleet-streamer.service\nreload-or-restart nginx.service\n');
    expect(existsSync(rollback.note)).toBe(false);
  });

  it('a rollback cut off and run again (the note owing its restarts) ends the same', () => {
    writeFileSync(calls, '');
    const r = sh(rollbackScript(rollback));
    expect(r.status).toBe(0);
    expect(readFileSync(at('a.conf'), 'utf8')).toBe('old\n');
    expect(readFileSync(calls, 'utf8')).toMatch(/restart camfleet-streamer.service/);
  });

  it('a restart that fails leaves the note, so the next run owes it', () => {
    writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\n[ "$1" = restart ] && exit 1\nexit 0\n`);
    const r = sh(rollbackScript(rollback));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/restarting with the old files failed: camfleet-streamer.service/);
    expect(readFileSync(rollback.note, 'utf8')).toMatch(/^restart\tcamfleet-streamer.service$/m);
    writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> ${calls}\n[ "$1" = show ] && echo 4242\nexit 0\n`);
  });
});

describe('the health gate script', () => {
  let server: Server;
  let port = 0;
  let published = true;
  const status = join(dir, 'streamer-status.json');
  const gate = (settleSeconds: number, timeoutSeconds: number): Extract<Step, { kind: 'health-gate' }> => ({
    kind: 'health-gate',
    fps: 15,
    minFps: 13.5,
    settleSeconds,
    timeoutSeconds,
    statPort: port,
    application: 'live',
    rollback: 'not rolled back (a test)',
  });
  // The real script reads the real status path; here it is pointed at the scratch one.
  const run = (g: Extract<Step, { kind: 'health-gate' }>) => shAsync(healthGateScript(g).replace(/^STATUS_FILE=.*$/m, `STATUS_FILE='${status}'`));
  const stat = () =>
    `<rtmp><server><application><name>live</name><live>${published ? '<stream><name>cam</name><client><publishing/></client><publishing/></stream>' : ''}</live></application></server></rtmp>`;

  beforeAll(async () => {
    server = createServer((_, res) => res.end(stat()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => server.close());

  it('passes a stream LIVE at >= 90% of its fps, held for the settle time', async () => {
    writeFileSync(status, JSON.stringify({ state: 'streaming', pid: 4242, fps: 14.2, lastError: null }));
    const r = await run(gate(1, 5));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^LIVE at 14.2 fps \(>= 13.5\) for 1 s, 1\.\d s after the gate began$/m);
  });

  it('fails a stream under 90%, as soon as the settle time can no longer fit, with the streamer\'s last error', async () => {
    writeFileSync(status, JSON.stringify({ state: 'streaming', pid: 4242, fps: 9, lastError: 'Invalid argument' }));
    const started = performance.now();
    const r = await run(gate(2, 3));
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('not LIVE at >= 13.5 fps for 2 s within 3 s: the stream runs at 9 fps, under 13.5; the streamer says: Invalid argument');
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('fails a streamer waiting for its camera, naming the device; a status of an older process does not count', async () => {
    writeFileSync(status, JSON.stringify({ state: 'waiting-for-device', pid: 4242, fps: null, lastError: 'camera device /dev/video9 does not exist' }));
    expect((await run(gate(1, 2))).stderr).toMatch(/the streamer is waiting-for-device; the streamer says: camera device \/dev\/video9 does not exist/);
    writeFileSync(status, JSON.stringify({ state: 'streaming', pid: 1111, fps: 15, lastError: null }));
    expect((await run(gate(1, 2))).stderr).toMatch(/the streamer has not reported its state yet/);
  });

  it('fails when nginx-rtmp shows nothing published, whatever the streamer says', async () => {
    writeFileSync(status, JSON.stringify({ state: 'streaming', pid: 4242, fps: 15, lastError: null }));
    published = false;
    expect((await run(gate(1, 2))).stderr).toMatch(/nginx-rtmp shows no stream published to live/);
    published = true;
  });
});
