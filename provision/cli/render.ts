// The render command's output: what was written where, what validated it, and what failed.
import { relative } from 'node:path';
import { loadRenderInputs } from '../converge/render-inputs.ts';
import { exitCodes } from './exit-codes.ts';
import type { Inventory } from '../core/inventory/load.ts';
import { renderToDirectory } from './render-to-directory.ts';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { prometheusSdFile, prometheusTargets } from '../core/render/prometheus-sd.ts';
import { writeFileWhole } from '../transport/whole-file.ts';

export async function runRender(inventory: Inventory, outDir: string, templatesDir?: string): Promise<number> {
  const inputs = await loadRenderInputs(templatesDir);
  const { rendered, validation } = await renderToDirectory(inventory.hosts, inputs, outDir);
  for (const s of validation.skipped) console.error(`warning: not validated with ${s}`);
  if (validation.failures.length) {
    for (const f of validation.failures) console.error(`${f.path}: rejected by validator:\n  ${f.message.split('\n').join('\n  ')}`);
    console.error(`camfleet: ${validation.failures.length} rendered file(s) failed validation; nothing was written to ${outDir}`);
    return exitCodes.failed;
  }
  for (const r of rendered) {
    console.log(`${r.host}: ${r.state.files.length} files, ${r.state.packages.length} packages, ${r.state.units.length} units -> ${relative(process.cwd(), r.dir) || r.dir}`);
  }
  const checked = validation.ran.length ? `validated with ${validation.ran.join(' and ')}` : 'not validated';
  console.log(`rendered ${rendered.length} host(s), ${checked}`);
  return exitCodes.ok;
}

/** `--prometheus FILE`: Prometheus file-based service discovery for the selected hosts, replaced atomically (Prometheus watches it). */
export async function writePrometheusTargets(inventory: Inventory, file: string): Promise<number> {
  mkdirSync(dirname(file), { recursive: true });
  await writeFileWhole(file, prometheusSdFile(inventory.hosts));
  const n = prometheusTargets(inventory.hosts).length;
  console.log(`${n} Prometheus target(s) -> ${relative(process.cwd(), file) || file}`);
  return exitCodes.ok;
}
