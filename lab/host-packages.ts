// The Debian packages this machine needs for lab Pis, the demo and the tests: which are missing,
// and installing them with apt. The demo and `npm test` both go through here.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basePackages, checkPackages } from '../provision/core/parts/parts.ts';

/** The list of packages the tests need, shared with CI: .ci/apt-packages. */
export const testPackagesFile = new URL('../.ci/apt-packages', import.meta.url).pathname;

/** Package names from a list file: whitespace-separated, `#` to the end of a line is a comment. */
export function readPackageList(file: string = testPackagesFile): string[] {
  const names = readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => line.replace(/#.*/, '').trim().split(/\s+/))
    .filter(Boolean);
  // Names go into an apt-get command line: Debian's package name syntax, nothing else.
  const bad = names.find((n) => !/^[a-z0-9][a-z0-9+.-]+$/.test(n));
  if (bad) throw new Error(`${file}: ${JSON.stringify(bad)} is not a Debian package name`);
  return names;
}

/**
 * Everything the tests need on this machine: what every camera Pi installs (the parts' packages:
 * render's nginx -t loads the RTMP module, the streamer and client tests run real ffmpeg, the local
 * host test finds a Pi's packages in this machine's dpkg), what validating the parts' files takes,
 * then the test-only tools of .ci/apt-packages. The Pi's packages are named once, by their parts.
 */
export function testPackages(file: string = testPackagesFile): string[] {
  return [...new Set([...basePackages, ...checkPackages, ...readPackageList(file)])];
}

/** Whether this machine installs packages with apt and dpkg (Debian and its derivatives). */
export const hasApt = (): boolean => spawnSync('sh', ['-c', 'command -v apt-get && command -v dpkg-query'], { stdio: 'ignore' }).status === 0;

/** The packages among `packages` that dpkg does not record as installed (all of them without dpkg). */
export function missingPackages(packages: readonly string[]): string[] {
  if (!packages.length) return [];
  // Unknown names make dpkg-query exit 1 but still list the known ones: read stdout either way.
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package}\\t${db:Status-Status}\\n', ...packages], { encoding: 'utf8' });
  const installed = new Set(
    (r.stdout ?? '')
      .split('\n')
      .map((line) => line.split('\t'))
      .filter(([, status]) => status === 'installed')
      .map(([name]) => name),
  );
  return packages.filter((p) => !installed.has(p));
}

/** apt-get install `packages` (root), its progress on this terminal. Whether it worked. */
export function installPackages(packages: readonly string[]): boolean {
  const apt = 'apt-get -q update && apt-get install -y -q --no-install-recommends "$@"';
  const r = spawnSync('sh', ['-c', apt, 'apt', ...packages], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}
