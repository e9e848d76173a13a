// What every camfleet command shares: option parsing, host selection, and printing errors once.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import { exitCodes } from './exit-codes.ts';
import { InventoryError, UsageError, formatProblem } from '../core/errors.ts';
import { HostError } from '../transport/host-error.ts';
import { loadInventory, type Inventory } from '../converge/load-inventory.ts';
import { selectHosts } from '../core/select.ts';

export const selectionOptions = {
  inventory: { type: 'string', short: 'i' },
  host: { type: 'string', multiple: true },
  group: { type: 'string', short: 'g', multiple: true },
  all: { type: 'boolean' },
  limit: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const usage = {
  main: `camfleet — provision a fleet of Raspberry Pi camera streamers

Usage: camfleet <command> [options]       (npm run <command> -- [options])

Commands:
  render     render each host's files locally and validate them (no network)
  provision  bring hosts to the inventory's state over SSH (--check for a dry run)
  status     show whether each Pi's RTMP server and stream are live
  bootstrap  write a fresh Pi's first-boot files onto its card, its host key pinned
  clip       fetch a range of a Pi's recordings as one MP4 (no re-encode)

Host selection (every command):
  --host NAME      a host (repeatable)       --group NAME   a group's hosts (repeatable)
  --all            every host                --limit GLOB   narrow the selection (pi*,hall-?)
  -i, --inventory FILE   the inventory (default: $CAMFLEET_INVENTORY or ./inventory.yaml)

Exit status: 0 ok, 1 a step failed, 2 bad usage or inventory, 3 changes pending (--check),
             4 a host was unreachable, 130 interrupted.
Run 'camfleet <command> --help' for a command's options.`,
  render: `Usage: npm run render -- (--host NAME | --group NAME | --all) (--out DIR | --prometheus FILE) [-i FILE] [--templates DIR]

Renders every selected host's files to DIR/<host>/<path on the Pi>, plus DIR/<host>/manifest.json
(packages, units, file modes and checksums). Validates them with the real tools where installed:
nginx -t (nginx + libnginx-mod-rtmp) and systemd-analyze verify. Touches no Pi.
If any file fails validation, nothing is written to DIR and the exit status is 1.
--prometheus FILE writes the selected camera Pis and origins as Prometheus file-based service
discovery (file_sd_configs: <address>:<stream.statPort>, labels host=<name>, role=camera|origin);
see examples/prometheus/.`,
};

type Parsed<T extends ParseArgsConfig['options']> = ReturnType<typeof parseArgs<{ options: T; allowPositionals: true }>>;

export function parse<T extends ParseArgsConfig['options']>(args: string[], options: T): Parsed<T> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true }) as Parsed<T>;
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

export async function loadSelected(values: { inventory?: string; host?: string[]; group?: string[]; all?: boolean; limit?: string }): Promise<Inventory> {
  const file = resolve(values.inventory ?? process.env.CAMFLEET_INVENTORY ?? 'inventory.yaml');
  // The whole file is validated (every problem, no secrets needed); only the selection is resolved.
  const selection = { hosts: values.host, groups: values.group, all: values.all, limit: values.limit };
  return loadInventory(file, { select: (names, groups) => selectHosts(names, groups, selection) });
}

export function reportError(e: unknown): number {
  if (e instanceof InventoryError) {
    for (const p of e.problems) console.error(formatProblem(p));
    console.error(`camfleet: the inventory has ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}; nothing was changed`);
    return exitCodes.usage;
  }
  if (e instanceof UsageError) {
    console.error(`camfleet: ${e.message}\nRun with --help for usage.`);
    return exitCodes.usage;
  }
  if (e instanceof HostError) {
    console.error(`camfleet: ${e.describe()}`);
    return exitCodes.failed;
  }
  console.error(`camfleet: ${(e as Error)?.stack ?? String(e)}`);
  return exitCodes.failed;
}

