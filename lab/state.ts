// Where the lab keeps its state, and the files that point camfleet at the lab Pis:
// .lab/inventory.yaml (an ordinary inventory) and .lab/known_hosts (their fixed host keys, so
// camfleet keeps strict host-key checking on against the lab too).
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { $ } from 'zx';
import { projectRoot } from '../provision/converge/project-root.ts';
import { writeFileWhole } from '../provision/transport/whole-file.ts';
import { withLock } from './build-lock.ts';

/**
 * Which set of container lab Pis this process has: '' but where npm test runs two sets at once, each
 * in namespaces of its own (see test/support/stages.ts), under the same names and addresses. What
 * those namespaces do not keep apart, its state and its Pis' cgroups, is kept apart by it.
 */
export const labSet = process.env.CAMFLEET_LAB_SET ?? '';
if (!/^[a-z0-9]*$/.test(labSet)) throw new Error(`CAMFLEET_LAB_SET is letters and digits, not ${JSON.stringify(labSet)}`);
/** Per-checkout state: operator key, generated inventory, run-time records. Gitignored. */
export const labDir = process.env.CAMFLEET_LAB_DIR ?? join(projectRoot, labSet ? `.lab-${labSet}` : '.lab');
/** Built images, shared by every checkout on the machine. */
export const cacheDir = process.env.CAMFLEET_CACHE ?? join(homedir(), '.cache', 'camfleet');

export const labInventory = join(labDir, 'inventory.yaml');
export const labKnownHosts = join(labDir, 'known_hosts');
export const operatorKeyPath = join(labDir, 'id_ed25519');

export type LabKind = 'container' | 'vm' | 'arm64' | 'first-boot';

export interface LabHost {
  name: string;
  kind: LabKind;
  /** Where this machine reaches the host's sshd. */
  address: string;
  sshPort: number;
  /** The host's fixed public key, as `ssh-ed25519 AAAA...`. */
  hostKey: string;
  /** Extra fields for the host's inventory entry (camera, hotspot, stream...). */
  inventory?: Record<string, unknown>;
  /** Who logs in, when not the lab's pi (a Pi bootstrap set up has the inventory's ssh.user). */
  user?: string;
  /** Where its host key is pinned, when not the lab's known_hosts. */
  knownHostsFile?: string;
}

/** The operator's key pair the lab Pis authorize; made once per checkout. */
export async function ensureOperatorKey(): Promise<{ privateKeyPath: string; publicKey: string }> {
  await mkdir(labDir, { recursive: true, mode: 0o700 });
  // Held by whoever makes it: two kinds coming up at once on a fresh checkout would both make one.
  await withLock(operatorKeyPath, { pollMs: 50 }, async () => {
    if (!existsSync(`${operatorKeyPath}.pub`)) {
      await rm(operatorKeyPath, { force: true }); // half made: ssh-keygen writes the .pub last
      await $({ quiet: true })`ssh-keygen -q -t ed25519 -N ${''} -C camfleet-lab-operator -f ${operatorKeyPath}`;
    }
  });
  return { privateKeyPath: operatorKeyPath, publicKey: (await readFile(`${operatorKeyPath}.pub`, 'utf8')).trim() };
}

const recordFile = (kind: LabKind): string => join(labDir, `hosts-${kind}.json`);

export async function registerHosts(kind: LabKind, hosts: readonly LabHost[]): Promise<void> {
  await mkdir(labDir, { recursive: true, mode: 0o700 });
  await writeFileWhole(recordFile(kind), `${JSON.stringify(hosts, null, 2)}\n`);
  await writeLabFiles();
}

export async function unregisterHosts(kind: LabKind): Promise<void> {
  await rm(recordFile(kind), { force: true });
  await writeLabFiles();
}

export async function registeredHosts(kind?: LabKind): Promise<LabHost[]> {
  const kinds: LabKind[] = kind ? [kind] : ['container', 'vm', 'arm64'];
  const hosts: LabHost[] = [];
  for (const k of kinds) {
    try {
      hosts.push(...(JSON.parse(await readFile(recordFile(k), 'utf8')) as LabHost[]));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return hosts;
}

/**
 * Regenerate the lab inventory and known_hosts from every kind's records. Kinds come up and go side
 * by side (npm test runs two groups of lab tests at once): one writer at a time, so none writes
 * from records another is changing, and each file is replaced whole, so an ssh reading
 * known_hosts meanwhile sees the old file or the new one, never half of one.
 */
async function writeLabFiles(): Promise<void> {
  await mkdir(labDir, { recursive: true, mode: 0o700 });
  await withLock(join(labDir, 'files'), { pollMs: 20 }, async () => {
    const hosts = await registeredHosts();
    if (!hosts.length) {
      await rm(labInventory, { force: true });
      await rm(labKnownHosts, { force: true });
      return;
    }
    await writeFileWhole(labKnownHosts, hosts.map((h) => `${knownName(h)} ${h.hostKey}\n`).join(''), 0o600);
    await writeFileWhole(labInventory, labInventoryText(hosts));
  });
}

function knownName(h: LabHost): string {
  return h.sshPort === 22 ? h.address : `[${h.address}]:${h.sshPort}`;
}

/** An inventory for the lab: the example fleet's shape, pointed at the lab Pis. */
export function labInventoryText(hosts: readonly LabHost[]): string {
  const inventory = {
    defaults: {
      ssh: { user: 'pi', identityFile: operatorKeyPath, knownHostsFile: labKnownHosts },
      // Container lab Pis have no camera: ffmpeg's test pattern stands in for it, through the
      // same streamer code path. Small and light so a fleet of them fits on a laptop.
      camera: { device: 'lavfi:testsrc2', resolution: '640x360', fps: 15, bitrate: '800k', encoder: 'libx264' },
      hotspot: { mode: 'none' },
    },
    groups: {
      container: {},
      vm: {},
      arm64: {},
    },
    hosts: Object.fromEntries(
      hosts.map((h) => [
        h.name,
        { address: h.address, groups: [h.kind], ...(h.sshPort !== 22 ? { ssh: { port: h.sshPort } } : {}), ...h.inventory },
      ]),
    ),
  };
  const header = '# yaml-language-server: $schema=../schemas/inventory.schema.json\n# Written by `npm run lab -- up`; rewritten on every up/down.\n';
  return header + stringify(inventory);
}

/** Names of leftover files of a kind, for cleanup messages. */
export async function labFiles(): Promise<string[]> {
  try {
    return await readdir(labDir);
  } catch {
    return [];
  }
}
