// What keeps this machine from running every test, in one sentence, or undefined when nothing does.
// Read by npm test's set-up step (prepare.ts) and by the closing skip summary (skip-summary.ts).
import { hasApt, missingPackages, testPackages, testPackagesFile } from '../../lab/host-packages.ts';
import { relative } from 'node:path';

export function machineProblem(): string | undefined {
  if (process.getuid?.() !== 0) return 'not run as root (lab Pis need namespaces, mounts and systemd-nspawn; installing packages needs apt)';
  if (!hasApt()) return 'not a Debian machine (lab Pis are built from Debian bookworm packages with apt)';
  const missing = missingPackages(testPackages());
  if (missing.length) return `Debian packages the tests need (${relative(process.cwd(), testPackagesFile)} and the Pi's parts) are not installed: ${missing.join(' ')}`;
  return undefined;
}
