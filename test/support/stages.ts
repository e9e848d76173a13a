// npm test's last step, the tests themselves: in two stages where this machine can (root on Debian).
// 1. pristine: every test that needs no lab Pi (shellcheck, render with nginx -t and systemd-analyze,
//    the streamer and the client against real ffmpeg and nginx-rtmp, the pages in chromium) runs in
//    a throwaway Debian root that holds only what debootstrap and .ci/apt-packages put there. This
//    machine keeps every package earlier work installed, so a green run here alone could hide a
//    line missing from that list; in the pristine root the tests that need it fail, and none may skip.
// 2. lab: the end-to-end tests (*.e2e.test.ts) against lab Pis, on this machine. The container lab
//    Pis' files in two sets, each with lab Pis of its own (see asLabSet), and the files with Pis of
//    their own kind (the arm64 Pi's, the first-boot Pi's), run side by side (three vitest processes:
//    the sets mostly wait on streams and timers, the third on an emulated install and cloud-init);
//    then the VM lab Pi's files alone: its camera must stream in real time under TCG emulation, and
//    beside the container files it got too little of two cores for that: the hotspot e2e's health
//    gate failed in both runs tried (no frames for 10 s, 10 fps not held).
// Elsewhere, or with files named (`npm test -- test/x.test.ts`), vitest runs every test here at once.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { $ } from 'zx';
import { testPackages } from '../../lab/host-packages.ts';
import { dpkgSpeedups, pristineRoot } from '../../lab/image.ts';
import { cacheDir } from '../../lab/state.ts';
import { bundledCli, root } from './cli.ts';
import { machineProblem } from './test-machine.ts';

const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const labTests = '.e2e.test.ts';
/** The VM lab Pi's files: they run alone. */
const vmLabTests = ['lab-vm', 'libcamera', 'hotspot'].map((name) => `test/${name}${labTests}`);
/** Files whose lab Pis are their own (the arm64 Pi, the first-boot Pi): beside the container ones'. */
const besideLabTests = ['arm64', 'bootstrap'].map((name) => `test/${name}${labTests}`);
/** Container files with a second set of container lab Pis, beside the first set's files. */
const secondSetTests = ['recording', 'health-gate', 'saved-plan', 'rollout', 'chaos', 'viewer-publisher', 'prometheus'].map((name) => `test/${name}${labTests}`);
const say = (line: string): void => console.log(`\n\x1b[1mnpm test: ${line}\x1b[0m`);

/** vitest on this machine with `args`; whether it passed. */
function vitestHere(args: string[]): boolean {
  return spawnSync(process.execPath, [vitest, 'run', ...args], { cwd: root, stdio: 'inherit' }).status === 0;
}

/** vitest runs a file matching any filter given: the lab files `args` name, else every lab file. */
const labFilesOr = (args: string[]): string[] => (args.some((arg) => arg.endsWith(labTests)) ? args : [labTests, ...args]);

/** The lab stage (see the top); whether every file passed. */
async function labStage(): Promise<boolean> {
  const others = [...vmLabTests, ...besideLabTests, ...secondSetTests].flatMap((file) => ['--exclude', file]);
  const side = await Promise.all([
    vitestGroup('set 1', [labTests, ...others], asLabSet('')),
    vitestGroup('set 2', secondSetTests, asLabSet('2')),
    vitestGroup('own Pis', besideLabTests),
  ]);
  const vm = await vitestGroup('vm', vmLabTests);
  return side.every(Boolean) && vm;
}

/**
 * How a group runs with a set of container lab Pis of its own (lab/state.ts's labSet): in network,
 * mount and PID namespaces of its own, where its lab1 meets no other set's lab1. Each set makes its
 * Pis' network namespaces, veths and overlay mounts in its own, and finds its Pis by name (pgrep,
 * /proc, /proc/mounts) among its own processes and mounts only. sh stays the namespace's PID 1,
 * waiting for vitest: it reaps what is orphaned there (a container whose nspawn a test killed), as
 * an init does, and when it ends the kernel ends whatever the set left running.
 */
function asLabSet(set: string): Isolation {
  const init = 'ip link set lo up && mkdir -p /run/netns && mount -t tmpfs camfleet-lab-netns /run/netns && { "$@" & wait $!; }';
  return {
    wrap: (argv) => ['unshare', '--mount', '--net', '--pid', '--fork', '--mount-proc', '--kill-child', '--', 'sh', '-c', init, 'sh', ...argv],
    env: { CAMFLEET_LAB_SET: set },
  };
}

interface Isolation {
  wrap(argv: string[]): string[];
  env: NodeJS.ProcessEnv;
}

/**
 * vitest on `args`, as one of the lab stage's groups: its output's lines marked with the group's
 * name (another group may be printing meanwhile); whether it passed.
 */
async function vitestGroup(name: string, args: string[], isolation?: Isolation): Promise<boolean> {
  const start = performance.now();
  // Through a pipe vitest would drop its colours; a terminal here keeps them.
  const env = { ...process.env, ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {}), ...isolation?.env };
  const argv = [process.execPath, vitest, 'run', ...args];
  const [command, ...rest] = isolation ? isolation.wrap(argv) : argv;
  const child = spawn(command!, rest, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const mark = name.padEnd(9);
  const lines = [child.stdout, child.stderr].map((out) => createInterface({ input: out }).on('line', (line) => console.log(`${mark} │ ${line}`)));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  for (const l of lines) l.close();
  say(`lab group ${name} ${code === 0 ? 'passed' : 'FAILED'} in ${((performance.now() - start) / 1000).toFixed(0)} s`);
  return code === 0;
}

/** nspawn options that give the pristine root this machine's Debian sources (only Debian's). */
function debianSources(): string[] {
  const deb822 = '/etc/apt/sources.list.d/debian.sources';
  if (existsSync(deb822)) return [`--bind-ro=${deb822}`];
  return existsSync('/etc/apt/sources.list') ? ['--bind-ro=/etc/apt/sources.list'] : [];
}

/** Installs the list in the pristine root as the host's set-up does (apt, no recommends). */
const installScript = `set -eu
${dpkgSpeedups}# With this machine's debian.sources bound in, debootstrap's own line would only repeat a suite.
if [ -e /etc/apt/sources.list.d/debian.sources ]; then : > /etc/apt/sources.list; fi
apt-get -q update
apt-get -q install -y --no-install-recommends "$@" >/tmp/apt.log 2>&1 || { tail -30 /tmp/apt.log; exit 1; }
echo "installed: $*"
# This machine's Node (bound in below), with its npm and npx: tests run the CLIs through npx.
ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
`;

/** systemd-nspawn in `rootfs`, not booted, running `script` with `args`; its exit status. */
function inRoot(rootfs: string, options: string[], script: string, args: string[]): number | null {
  const nspawn = ['-q', '-D', rootfs, '--register=no', '--keep-unit', '--pipe', ...options, '/bin/sh', '-s', ...args];
  return spawnSync('systemd-nspawn', nspawn, { input: script, stdio: ['pipe', 'inherit', 'inherit'] }).status;
}

/** The lab-free tests in a fresh Debian root with only .ci/apt-packages installed; whether they passed. */
async function pristineStage(vitestArgs: string[] = []): Promise<boolean> {
  const packages = testPackages();
  say(`stage 1 of 2, pristine: the tests without lab Pis, in a fresh Debian root that has only .ci/apt-packages and the parts' packages (${packages.length} packages)`);
  const start = performance.now();
  const seconds = () => ((performance.now() - start) / 1000).toFixed(0);
  const pristine = await pristineRoot((line) => console.log(`  ${line}`));
  // A copy for this run: the cached root stays as debootstrap left it.
  const rootfs = mkdtempSync(join(cacheDir, 'pristine-run-'));
  try {
    await $({ quiet: true })`cp -a --reflink=auto ${`${pristine}/.`} ${rootfs}`;
    // Downloaded .debs are kept between runs (they are the mirror's files); what is installed is not.
    const debs = join(cacheDir, 'pristine-apt-archives');
    mkdirSync(debs, { recursive: true });
    // With this machine's network, to reach Debian's mirror; Debian's suites as this machine has
    // them (-updates and -security too, as on a fresh machine), so the versions are the host's.
    const install = inRoot(rootfs, ['--resolv-conf=copy-host', `--bind=${debs}:/var/cache/apt/archives`, ...debianSources(), '--setenv=DEBIAN_FRONTEND=noninteractive'], installScript, packages);
    if (install !== 0) {
      say(`stage 1 FAILED: apt-get could not install .ci/apt-packages in the pristine root (${seconds()} s)`);
      return false;
    }
    // The tests get a network of their own (loopback only), which also lets bubblewrap set one up.
    const env = ['--setenv=CAMFLEET_STAGE=pristine', `--setenv=CI=${process.env.CI ?? ''}`];
    const node = [`--bind-ro=${process.execPath}:/usr/local/bin/node`, `--bind-ro=${join(process.execPath, '..', '..', 'lib', 'node_modules')}:/usr/local/lib/node_modules`];
    // CAP_IPC_LOCK, which root has on this machine and nspawn drops: without it libgcrypt in
    // ffmpeg prints "Warning: using insecure memory!", which the streamer rightly logs as an error.
    const tests = inRoot(rootfs, ['--private-network', '--capability=CAP_IPC_LOCK', `--bind=${root}`, `--chdir=${root}`, ...node, ...env], `exec node ${JSON.stringify(vitest)} run --exclude '**/*${labTests}' "$@"`, vitestArgs);
    if (tests !== 0) say(`stage 1 FAILED (${seconds()} s): a test failed or skipped in the pristine root. One that passes on this machine but not there needs a package .ci/apt-packages lacks`);
    else say(`stage 1 passed in ${seconds()} s`);
    return tests === 0;
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  // The tests run the bundled CLI (support/cli.ts): built here once if the sources changed, not in each test process.
  await bundledCli();
  // `--stage pristine|lab [vitest arguments]` runs one stage; without it every argument is vitest's,
  // passed on as given (so not through parseArgs, which would need to know vitest's flags).
  const [flag, stage, ...rest] = process.argv.slice(2);
  if (flag !== '--stage') {
    const args = process.argv.slice(2);
    if (args.length || machineProblem()) return vitestHere(args) ? 0 : 1;
  } else if (stage !== 'pristine' && stage !== 'lab') throw new Error(`--stage is pristine or lab, not ${JSON.stringify(stage)}`);
  const problem = machineProblem();
  if (problem) throw new Error(`the stages need a machine that can run every test: ${problem}`);
  if (stage === 'lab') return (rest.length ? vitestHere(labFilesOr(rest)) : await labStage()) ? 0 : 1;
  const pristine = await pristineStage(rest);
  if (stage === 'pristine') return pristine ? 0 : 1;
  // Red in minutes, not after the lab's twenty: what failed there is to be fixed first either way.
  if (!pristine) {
    say('the lab stage does not run after a failed pristine stage: fix the above first (`npm test -- --stage lab` runs it alone)');
    return 1;
  }
  say('stage 2 of 2, lab: the end-to-end tests against lab Pis, on this machine: two sets of container lab Pis beside the arm64 and first-boot Pis, then the VM lab Pi');
  return (await labStage()) ? 0 : 1;
}

process.exitCode = await main();
