// A vitest reporter that ends the run with every skipped test group, why, and the command that runs
// it, framed so it cannot be missed: a run that skipped the lab tests did not test camfleet on a
// Pi, and its green line alone would say otherwise.
import type { Reporter, TestCase, TestModule, TestSuite } from 'vitest/node';
import { machineProblem } from './test-machine.ts';

interface Group {
  file: string;
  name: string;
  tests: number;
}

/** A skipped test's group: its outermost describe block, or the test itself at the file's top. */
function groupName(test: TestCase): string {
  let node: TestCase | TestSuite = test;
  while (node.parent.type !== 'module') node = node.parent;
  return node.name;
}

export default class SkipSummary implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const groups = new Map<string, Group>();
    for (const module of modules) {
      for (const test of module.children.allTests('skipped')) {
        const name = groupName(test);
        const key = `${module.relativeModuleId}\0${name}`;
        const group = groups.get(key) ?? { file: module.relativeModuleId, name, tests: 0 };
        group.tests++;
        groups.set(key, group);
      }
    }
    if (!groups.size) return;
    // In npm test's pristine stage a skip means a package .ci/apt-packages lacks: it fails the run.
    const pristine = process.env.CAMFLEET_STAGE === 'pristine';
    if (pristine) process.exitCode = 1;

    const problem = machineProblem();
    // As root on Debian, npm test itself installs packages and builds images; elsewhere it cannot.
    const run = (files: string) => (problem?.startsWith('not a Debian') ? `on Debian bookworm, as root: npm test${files}` : `sudo npm test${files}`);
    const total = [...groups.values()].reduce((n, g) => n + g.tests, 0);
    const tty = process.stdout.isTTY;
    const loud = (s: string) => (tty ? `\x1b[1;31m${s}\x1b[0m` : s);
    const bar = loud('!'.repeat(100));
    const lines = [
      '',
      bar,
      loud(`  ${total} TEST${total === 1 ? '' : 'S'} SKIPPED: this run did not test everything`),
      ...(pristine ? [loud('  and this is the pristine stage, where no test may skip: is a package missing from .ci/apt-packages?')] : []),
      `  why: ${problem ?? 'skipped by the tests themselves (see their warnings above)'}`,
      '',
      ...[...groups.values()].map((g) => `  ${`${g.file} > ${g.name} (${g.tests})`.padEnd(64)}  ${run(` -- ${g.file}`)}`),
      '',
      `  all of them: ${run('')}`,
      bar,
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}
