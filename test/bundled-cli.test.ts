// The bundled CLI (`npm run build`, dist/camfleet.mjs): the same answers as the sources, and the
// code cache written by its first run is accepted by the next (it is rewritten only when missing
// or rejected, so an unchanged file means V8 took it).
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../provision/bundle/build-cli.ts';
import { camfleetFromSources, root, run } from './support/cli.ts';

const outdir = join(root, 'build', 'cli-test');
const scratch = () => mkdtempSync(join(tmpdir(), 'camfleet-bundled-'));
let cli: string;

beforeAll(async () => {
  cli = await buildCli(outdir);
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('bundled CLI', () => {
  it('renders the example fleet byte-identical to the sources, and its second start uses the code cache', async () => {
    const dir = scratch();
    const cache = join(outdir, 'camfleet.cjs.render.cache');
    expect((await run(process.execPath, [cli, 'render', '--help'])).code).toBe(0);
    expect(existsSync(cache)).toBe(false); // --help does not stand for the command's real work
    const bundled = await run(process.execPath, [cli, 'render', '--all', '--out', join(dir, 'bundled')]);
    expect(bundled.stderr).toBe('');
    expect(bundled.code).toBe(0);
    const written = statSync(cache);
    expect(written.size).toBeGreaterThan(100_000);

    const again = await run(process.execPath, [cli, 'render', '--all', '--out', join(dir, 'again')]);
    expect(again.code).toBe(0);
    expect(statSync(cache).mtimeMs).toBe(written.mtimeMs);

    await camfleetFromSources(['render', '--all', '--out', join(dir, 'source')]);
    for (const f of ['pi1/etc/nginx/nginx.conf', 'pi2/etc/hostapd/hostapd.conf', 'pi1/opt/camfleet/streamer.mjs', 'pi3/manifest.json'])
      for (const other of ['again', 'source']) expect(readFileSync(join(dir, other, f)).equals(readFileSync(join(dir, 'bundled', f)))).toBe(true);
  });

  it('bad input gets the same file:line:col message and exit status as the sources; a foreign cache is rejected and rewritten', async () => {
    const cache = join(outdir, 'camfleet.cjs.provision.cache');
    writeFileSync(cache, Buffer.alloc(4096, 7));
    const dir = scratch();
    const inv = join(dir, 'inventory.yaml');
    writeFileSync(inv, 'hosts:\n  pi1:\n    address: 10.0.0.1\n    camera: { fps: 500 }\n');
    const r = await run(process.execPath, [cli, 'provision', '--all', '-i', inv, '--check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/inventory\.yaml:4:20 hosts\.pi1\.camera\.fps: must be <= 120/);
    expect(readFileSync(cache).equals(Buffer.alloc(4096, 7))).toBe(false);
  });
});
