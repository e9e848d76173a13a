// Every script camfleet runs on a Pi is POSIX sh, sent to `sh -s`: shellcheck reads each one as
// such. A test rather than a step before vitest, so that it runs where the other tests run (the
// pristine stage proves that .ci/apt-packages installs shellcheck) and fails, never skips, without it.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './support/cli.ts';

/** The .sh files under provision/, the systemctl fake the local host runs them against, the
 * lab-only hold the fault tests put on a lab Pi, and the footprint bench's reader. */
function scripts(): string[] {
  const found = readdirSync(join(root, 'provision'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.sh'))
    .map((f) => join('provision', f))
    .sort();
  // The recorder is a template (with no values in it: the unit passes them) but POSIX sh all the same.
  return [...found, join('templates', 'camfleet-recorder.sh.hbs'), join('templates', 'camfleet-ingest.sh.hbs'), join('test', 'support', 'fakes', 'systemctl'), join('test', 'support', 'lab-hold.sh'), join('bench', 'pi-processes.sh')];
}

describe('the remote scripts', () => {
  it('are found: every step that runs on a Pi has its .sh file here', () => {
    // observe, status, the lock and the apply steps at least: a moved folder must not empty the list.
    expect(scripts().filter((f) => f.startsWith('provision')).length).toBeGreaterThanOrEqual(4);
  });

  it('pass shellcheck as POSIX sh, style warnings included', () => {
    const version = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
    if (version.error) throw new Error('shellcheck is not installed: it belongs in .ci/apt-packages, which `sudo npm test` installs (or apt-get install shellcheck)');
    const files = scripts();
    let report = '';
    try {
      execFileSync('shellcheck', ['--shell=sh', '--severity=style', ...files], { cwd: root, encoding: 'utf8' });
    } catch (e) {
      report = (e as { stdout: string }).stdout;
    }
    expect(report, `shellcheck on ${files.join(" ")}`).toBe("");
  });
});
