// `npm test`'s step between type-checking and vitest: make this machine able to run every test.
// As root on Debian it installs the missing packages of .ci/apt-packages (the demo's installer) and
// builds the missing lab images, container and VM, with progress. Anywhere else it says why it
// cannot, and the run ends with a summary naming every test group that skipped (skip-summary.ts).
// It never fails the run: what it could not do shows up as skipped or failing tests.
import { hasApt, installPackages, missingPackages, testPackages } from '../../lab/host-packages.ts';
import { ensureArm64Image } from '../../lab/arm64.ts';
import { ensureImage, ensureVariant, firstBootVariant } from '../../lab/image.ts';
import { buildVmImage } from '../../lab/vm/index.ts';
import { machineProblem } from './test-machine.ts';

const say = (line: string): void => console.log(`test setup: ${line}`);

async function prepare(): Promise<void> {
  if (process.getuid?.() !== 0 || !hasApt()) {
    say(`${machineProblem()}: lab tests will skip (listed at the end of the run)`);
    return;
  }
  const missing = missingPackages(testPackages());
  if (missing.length) {
    say(`installing ${missing.join(' ')} from Debian's repositories`);
    if (!installPackages(missing)) {
      say(`apt-get could not install them (no network to Debian's mirror?): tests that need them will skip or fail`);
      return;
    }
  }
  const log = (line: string): void => say(`lab image: ${line}`);
  try {
    // first-boot: the fresh card bootstrap's e2e test boots (a layer on base, 35 s).
    const built = [await ensureImage('base', log), await ensureImage('ready', log), await ensureVariant(firstBootVariant, log)].filter((i) => !i.cached).length;
    const vm = await buildVmImage({ log });
    // The emulated arm64 image takes many minutes: not built when its test is to be skipped.
    const arm64 = process.env.CAMFLEET_SKIP_ARM64 === '1' ? undefined : await ensureArm64Image('base', (line) => say(`arm64 image: ${line}`));
    if (!arm64) say('CAMFLEET_SKIP_ARM64=1: the arm64 image is not built and the arm64 test will SKIP');
    say(built || !vm.cached || (arm64 && !arm64.cached) ? 'lab images built' : 'packages and lab images are all there');
  } catch (e) {
    say(`building the lab images failed, so lab tests will fail: ${(e as Error).message}`);
  }
}

await prepare();
