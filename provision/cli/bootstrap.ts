// `camfleet bootstrap`: the first-boot files for a freshly flashed card, from the inventory, with
// the Pi's host key pinned in known_hosts before it first boots. Any refusal is one line, exit 2,
// and nothing written (every host is planned before any card is touched).
import { join, relative, resolve } from 'node:path';
import { cardFormats, type CardFormat } from '../core/bootstrap/first-boot.ts';
import { InventoryError, UsageError, formatProblem } from '../core/errors.ts';
import { selectHosts } from '../core/select.ts';
import { bootstrapCards, CardError } from '../converge/bootstrap-card.ts';
import { loadInventory } from '../converge/load-inventory.ts';
import { parse, selectionOptions } from './common.ts';
import { exitCodes } from './exit-codes.ts';

export const bootstrapUsage = `Usage: npm run bootstrap -- --host NAME --boot PATH [--format cloud-init|firstrun] [--force] [-i FILE]
       npm run bootstrap -- (--group NAME | --all | --host NAME...) --out DIR --format cloud-init|firstrun [--force]

Writes a Pi's first-boot files onto its freshly flashed card's boot partition (FAT, mounted at PATH):
its hostname, ssh.user with the operator's public key (ssh.publicKeyFile, or identityFile's .pub) and
passwordless sudo, SSH with password logins off, uplink (wired DHCP, or Wi-Fi with its country) and
firstBoot.timezone; and a host key made here for that Pi, pinned in ssh.knownHostsFile once the files
are written, so the first provision is checked strictly with no --trust-new-host-keys.

  --boot PATH     the card's boot partition (one host)
  --out DIR       DIR/<host>/ for each selected host, to copy onto cards later
  --format F      cloud-init (current Raspberry Pi OS: user-data, network-config, meta-data) or
                  firstrun (Bookworm: firstrun.sh hooked from cmdline.txt). Default with --boot:
                  cloud-init when the card has NoCloud seed files, else firstrun.
  --force         replace a user-data or firstrun.sh that camfleet did not write (never merged)

The files holding secrets (the private host key; the Wi-Fi passphrase) stay readable on the card
until the Pi's first boot shreds them. Exit status: 0 written, 2 refused (nothing written).`;

export async function runBootstrapCli(args: string[]): Promise<number> {
  const { values } = parse(args, {
    ...selectionOptions,
    boot: { type: 'string' },
    out: { type: 'string', short: 'o' },
    format: { type: 'string' },
    force: { type: 'boolean' },
  });
  if (values.help) return console.log(bootstrapUsage), exitCodes.ok;
  if (!values.boot === !values.out) throw new UsageError('bootstrap needs one of --boot PATH (a mounted card) or --out DIR');
  if (values.format !== undefined && !cardFormats.includes(values.format as CardFormat))
    throw new UsageError(`--format takes ${cardFormats.join(' or ')}, not '${values.format}'`);
  if (values.out && !values.format) throw new UsageError('--out needs --format cloud-init|firstrun: there is no card to tell which');
  const file = resolve(values.inventory ?? process.env.CAMFLEET_INVENTORY ?? 'inventory.yaml');
  const selection = { hosts: values.host, groups: values.group, all: values.all, limit: values.limit };
  try {
    const inventory = await loadInventory(file, { firstBoot: true, select: (names, groups) => selectHosts(names, groups, selection) });
    if (values.boot && inventory.hosts.length !== 1)
      throw new UsageError(`--boot writes one card: select one host (the selection has ${inventory.hosts.length}); use --out DIR for several`);
    const targets = inventory.hosts.map((host) =>
      values.boot ? { host, dir: resolve(values.boot), folder: false } : { host, dir: join(resolve(values.out!), host.name), folder: true },
    );
    const results = await bootstrapCards(targets, { format: values.format as CardFormat | undefined, force: values.force });
    for (const r of results) {
      console.log(`${r.host}: ${r.written.join(', ')} -> ${relative(process.cwd(), r.dir) || r.dir} (${r.format})`);
      console.log(`${r.host}: host key ED25519 ${r.fingerprint} pinned in ${r.knownHostsFile}`);
    }
    return exitCodes.ok;
  } catch (e) {
    // One line each, and the guarantee: a refusal comes before anything is written.
    if (e instanceof InventoryError) {
      for (const p of e.problems) console.error(formatProblem(p));
      return exitCodes.usage;
    }
    if (e instanceof CardError) {
      console.error(`camfleet: ${e.message}`);
      return exitCodes.usage;
    }
    throw e;
  }
}
