// `camfleet render`: write each selected host's desired files under OUT/<host>/ (mirroring their
// paths on the Pi) plus a manifest, after checking them with the real validators. Everything is
// rendered and validated in a scratch directory first: a failure leaves OUT untouched.
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../core/errors.ts';
import type { DesiredState } from '../core/types.ts';
import { isDropIn, isUnitFile } from '../core/render/paths.ts';
import { renderHost, type RenderInputs } from '../core/render/render.ts';
import type { ResolvedHost } from '../core/types.ts';
import {
  checkNginxConf,
  checkUnit,
  nginxAvailable,
  systemdAnalyzeAvailable,
  type ValidationResult,
} from './validate-local.ts';

export interface RenderedHost {
  host: string;
  dir: string;
  state: DesiredState;
}

export async function renderToDirectory(
  hosts: ResolvedHost[],
  inputs: RenderInputs,
  outDir: string,
): Promise<{ rendered: RenderedHost[]; validation: ValidationResult }> {
  const out = resolve(outDir);
  // Hosts would become folders at the root, and the scratch folder would go there too.
  if (out === dirname(out)) throw new UsageError(`--out ${outDir} is the root of the filesystem: name a folder for the rendered hosts, e.g. build/rendered`);
  await refuseForeignOutput(out, hosts.map((h) => h.name));
  const scratch = await makeScratch(dirname(out)).catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`--out ${outDir}: cannot write in ${dirname(out)} (${e.code ?? e.message})`);
  });
  try {
    const rendered: RenderedHost[] = [];
    for (const host of hosts) {
      const state = renderHost(host, inputs);
      const dir = join(scratch, host.name);
      for (const f of state.files) {
        const target = join(dir, f.path);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, f.content, { mode: f.mode });
      }
      await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest(state), null, 2)}\n`);
      rendered.push({ host: host.name, dir, state });
    }
    const validation = await validateRendered(rendered);
    if (validation.failures.length === 0) {
      // Replace only the hosts rendered now; other hosts' earlier output stays.
      await mkdir(out, { recursive: true });
      for (const r of rendered) {
        const final = join(out, r.host);
        await rm(final, { recursive: true, force: true });
        await rename(r.dir, final);
        r.dir = final;
      }
    }
    return { rendered, validation };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The scratch folder beside OUT (so the final renames stay on one filesystem), and OUT's parents. */
async function makeScratch(parent: string): Promise<string> {
  await mkdir(parent, { recursive: true });
  return mkdtemp(join(parent, '.camfleet-render-'));
}

const generator = 'camfleet render';

/**
 * Render replaces OUT/<host> wholesale, so it must only ever replace what it wrote itself: OUT must
 * be a directory (or absent), and each OUT/<host> absent or holding a manifest render wrote for that
 * host. Checked before anything is rendered, so a refusal changes nothing.
 */
async function refuseForeignOutput(out: string, hosts: string[]): Promise<void> {
  const kind = await lstat(out).catch(() => undefined);
  if (kind && !kind.isDirectory()) throw new UsageError(`--out ${out} is not a directory`);
  if (!kind) return;
  for (const host of hosts) {
    const dir = join(out, host);
    if (!(await lstat(dir).catch(() => undefined))) continue;
    const written = await readFile(join(dir, 'manifest.json'), 'utf8')
      .then((text) => JSON.parse(text) as { host?: unknown; generator?: unknown })
      .catch(() => undefined);
    if (written?.generator !== generator || written.host !== host)
      throw new UsageError(`--out ${out}: ${dir} exists and was not written by camfleet render; choose an empty or new directory`);
  }
}

/** What lands on the Pi besides file contents: packages, units, and each file's metadata and checksum. */
export function manifest(state: DesiredState) {
  return {
    generator,
    host: state.host,
    packages: state.packages,
    units: state.units,
    files: state.files.map((f) => ({
      path: f.path,
      mode: `0${f.mode.toString(8)}`,
      owner: f.owner,
      group: f.group,
      // A checksum of a file holding a passphrase would let anyone who reads this 0644 manifest test guesses offline.
      ...(f.sensitive ? { sensitive: true } : { sha256: createHash('sha256').update(f.content).digest('hex') }),
    })),
    absent: state.absent.map((a) => a.path),
    listen: state.listen,
  };
}

async function validateRendered(rendered: RenderedHost[]): Promise<ValidationResult> {
  const result: ValidationResult = { ran: [], skipped: [], failures: [] };
  const nginxMissing = await nginxAvailable();
  const analyzeMissing = await systemdAnalyzeAvailable();
  if (nginxMissing) result.skipped.push(`nginx -t: ${nginxMissing}`);
  else result.ran.push('nginx -t');
  if (analyzeMissing) result.skipped.push(`systemd-analyze verify: ${analyzeMissing}`);
  else result.ran.push('systemd-analyze verify');

  for (const r of rendered) {
    for (const f of r.state.files) {
      const local = join(r.dir, f.path);
      const failure =
        f.validate === 'nginx' && !nginxMissing
          ? await checkNginxConf(local)
          : isUnitFile(f.path) && !isDropIn(f.path) && !analyzeMissing
            ? await checkUnit(local)
            : undefined;
      if (failure) result.failures.push({ path: `${r.host}:${f.path}`, message: failure.replaceAll(r.dir, '') });
    }
  }
  return result;
}
