// `npm run provision` runs the bundled CLI only when dist/ was built from the sources as they are
// (provision/bundle/up-to-date.mjs); otherwise fresh-cli.mjs builds it first. Checked on a scratch tree.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { distIsCurrent, sourceStamp, stampFile } from '../provision/bundle/up-to-date.mjs';

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'camfleet-fresh-'));
  for (const dir of ['provision/apply', 'provision/cli', 'streamer', 'viewer', 'wall', 'webrtc', 'schemas', 'dist']) mkdirSync(join(root, dir), { recursive: true });
  for (const f of ['provision/cli/main.ts', 'provision/apply/verify.sh', 'streamer/main.ts', 'viewer/page.html', 'wall/app.ts', 'webrtc/main.ts', 'schemas/inventory.schema.json', 'package-lock.json'])
    writeFileSync(join(root, f), `// ${f}\n`);
  writeFileSync(stampFile(root), sourceStamp(root));
  return root;
}

describe('dist/ is current', () => {
  it('when nothing changed since it was built', () => {
    expect(distIsCurrent(tree())).toBe(true);
  });

  it.each([
    ['a source is edited', (root: string) => utimesSync(join(root, 'provision/cli/main.ts'), new Date(), new Date(Date.now() + 5000))],
    ['a remote script is edited', (root: string) => writeFileSync(join(root, 'provision/apply/verify.sh'), 'exit 1\n')],
    ['a source is added', (root: string) => writeFileSync(join(root, 'provision/new.ts'), '')],
    ['a source is removed', (root: string) => rmSync(join(root, 'streamer/main.ts'))],
    ['the wall, prebuilt into the bundle, is edited', (root: string) => writeFileSync(join(root, 'wall/app.ts'), '// edited\n')],
    ['the WebRTC service, prebuilt into the bundle, is edited', (root: string) => writeFileSync(join(root, 'webrtc/main.ts'), '// edited\n')],
    ['the libraries change (package-lock.json)', (root: string) => writeFileSync(join(root, 'package-lock.json'), '{}\n')],
    ['it was never built', (root: string) => rmSync(stampFile(root))],
  ])('not when %s', (_, change) => {
    const root = tree();
    change(root);
    expect(distIsCurrent(root)).toBe(false);
  });

  it('whatever happens in dist/ itself (its code caches) or in hidden folders', () => {
    const root = tree();
    writeFileSync(join(root, 'dist', 'camfleet.cjs.provision.cache'), 'x');
    mkdirSync(join(root, 'provision', '.cache'));
    writeFileSync(join(root, 'provision', '.cache', 'x'), 'x');
    expect(distIsCurrent(root)).toBe(true);
  });
});
