// Check rendered files with the real tools on this machine: `nginx -t` for nginx configs and
// `systemd-analyze verify` for units. A tool that is not installed here is skipped, and said so.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { $ } from 'zx';

export interface ValidationResult {
  /** Validators that ran, e.g. "nginx -t". */
  ran: string[];
  /** Validators that could not run here, with why. */
  skipped: string[];
  /** Files that failed, with the validator's own words. */
  failures: { path: string; message: string }[];
}

const rtmpModule = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

export async function nginxAvailable(): Promise<string | undefined> {
  if (!(await $({ nothrow: true, quiet: true })`command -v nginx`).stdout.trim()) return 'nginx is not installed';
  if (!existsSync(rtmpModule)) return 'libnginx-mod-rtmp is not installed';
  return undefined;
}

export async function systemdAnalyzeAvailable(): Promise<string | undefined> {
  return (await $({ nothrow: true, quiet: true })`command -v systemd-analyze`).stdout.trim() ? undefined : 'systemd-analyze is not installed';
}

/** `nginx -t` on a rendered nginx.conf (its includes resolve against this machine's /etc/nginx). */
export async function checkNginxConf(path: string): Promise<string | undefined> {
  const r = await $({ nothrow: true, quiet: true })`nginx -t -q -c ${path}`;
  return r.exitCode === 0 ? undefined : (r.stderr || r.stdout).trim();
}

/**
 * `systemd-analyze verify` on a unit file. Binaries that camfleet installs on the Pi (node, nmcli,
 * hostapd) need not exist on the workstation, so "not executable" is not held against the unit.
 */
export async function checkUnit(path: string): Promise<string | undefined> {
  const r = await $({ nothrow: true, quiet: true })`systemd-analyze verify ${path}`;
  const problems = `${r.stdout}\n${r.stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/is not executable: No such file or directory/.test(l))
    .filter((l) => l.includes(basename(path)));
  return problems.length ? problems.join('\n') : undefined;
}
