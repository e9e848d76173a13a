// `npm run render`: the CI dry run. Real nginx -t with the RTMP module, real systemd-analyze.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { camfleet, root } from './support/cli.ts';

const scratch = () => mkdtempSync(join(tmpdir(), 'camfleet-render-'));

describe('render command', () => {
  it('renders the example fleet, validated by nginx -t, byte-identical twice', async () => {
    const dir = scratch();
    const first = await camfleet(['render', '--all', '--out', join(dir, 'a')]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('validated with nginx -t and systemd-analyze verify');
    const hosts = readdirSync(join(dir, 'a')).sort();
    expect(hosts).toEqual(['pi1', 'pi2', 'pi3']);
    for (const h of hosts) {
      const manifest = JSON.parse(readFileSync(join(dir, 'a', h, 'manifest.json'), 'utf8'));
      expect(manifest.packages).toContain('libnginx-mod-rtmp');
      expect(existsSync(join(dir, 'a', h, 'etc/nginx/nginx.conf'))).toBe(true);
    }
    await camfleet(['render', '--all', '--out', join(dir, 'b')]);
    for (const h of hosts) {
      for (const f of ['etc/nginx/nginx.conf', 'etc/camfleet/streamer.json', 'opt/camfleet/streamer.mjs', 'manifest.json'])
        expect(readFileSync(join(dir, 'b', h, f)).equals(readFileSync(join(dir, 'a', h, f)))).toBe(true);
    }
  });

  it('a config nginx rejects fails the render, names host and file, and writes nothing', async () => {
    const dir = scratch();
    const templates = join(dir, 'templates');
    cpSync(join(root, 'templates'), templates, { recursive: true });
    const conf = join(templates, '_nginx-rtmp.hbs'); // the RTMP block, in a partial both nginx configs share
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('live on;', 'live sometimes;'));
    const r = await camfleet(['render', '--host', 'pi3', '--out', join(dir, 'out'), '--templates', templates]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pi3:/etc/nginx/nginx.conf: rejected by validator');
    expect(r.stderr).toContain('invalid value "sometimes"');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('a broken inventory exits 2 with file:line:col and writes nothing', async () => {
    const dir = scratch();
    const inv = join(dir, 'inventory.yaml');
    writeFileSync(inv, 'hosts:\n  pi1:\n    address: 10.0.0.1\n    camera: { fps: 500 }\n');
    const r = await camfleet(['render', '--all', '-i', inv, '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/inventory\.yaml:4:20 hosts\.pi1\.camera\.fps: must be <= 120/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('an --out it cannot write (the root, a read-only folder) is one line and exit 2, not a stack trace', () => {
    // As an operator without root: root may write anywhere, so the test drops to nobody when it is root.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const render = (out: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(root, 'provision', 'cli', 'main.ts'), 'render', '--all', '--out', out], { cwd: root, encoding: 'utf8', ...asUser });
    const readOnly = scratch();
    chmodSync(readOnly, 0o555);
    for (const [out, message] of [
      ['/', 'camfleet: --out / is the root of the filesystem: name a folder for the rendered hosts, e.g. build/rendered'],
      [join(readOnly, 'out'), `camfleet: --out ${join(readOnly, 'out')}: cannot write in ${readOnly} (EACCES)`],
    ] as const) {
      const r = render(out);
      expect(r.stderr.split('\n')[0]).toBe(message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.status).toBe(2);
    }
    expect(readdirSync(readOnly)).toEqual([]);
  });

  it('usage mistakes exit 2 with a hint; --help exits 0', async () => {
    expect((await camfleet(['render', '--help'])).code).toBe(0);
    const unknownHost = await camfleet(['render', '--host', 'pi7', '--out', scratch()]);
    expect(unknownHost.code).toBe(2);
    expect(unknownHost.stderr).toContain("unknown host 'pi7' — did you mean pi1, pi2, pi3?");
    const badFlag = await camfleet(['render', '--al', '--out', scratch()]);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/Unknown option '--al'/);
    expect((await camfleet(['render', '--all'])).stderr).toContain('render needs --out DIR');
  });
});
