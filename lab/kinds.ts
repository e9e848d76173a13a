// The lab's kinds of Pi behind one interface: containers (systemd-nspawn, fast), the VM (qemu with
// a camera and Wi-Fi radios) and arm64 (the Pi's architecture under qemu-user-static). The lab CLI
// drives each the same way; a new kind is an entry here.
import { rm } from 'node:fs/promises';
import { arm64Down, arm64Status, arm64Up, ensureArm64Image } from './arm64.ts';
import { containerDown, containerStatus, containerUp } from './container.ts';
import { ensureImage, ensureVariant, firstBootVariant, imageDir, type ImageLayer } from './image.ts';
import type { LabHost } from './state.ts';
import type * as Vm from './vm-api.ts';

type Log = (line: string) => void;

export interface KindHostStatus {
  name: string;
  address: string;
  running: boolean;
  sshReachable: boolean;
  memMiB?: number;
  bootToSshMs?: number;
}

export interface LabKind {
  /** Build (or find cached) its images; `force` rebuilds. Says what it did through `log`. */
  build(o: { force: boolean; log: Log }): Promise<void>;
  /** Boot `hosts` lab Pis of this kind (replacing running ones), from a fresh image or a `ready` one. */
  up(o: { hosts: number; layer: ImageLayer; log: Log }): Promise<LabHost[]>;
  /** Stop every lab Pi of this kind: no process, namespace or mount left. */
  down(log: Log): Promise<void>;
  status(): Promise<KindHostStatus[]>;
}

// The VM kind lives in its own module; loaded only when asked for (it pulls in qemu plumbing).
const vm = (): Promise<typeof Vm> => import('./vm/index.ts');
const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;

export const labKinds = {
  container: {
    async build({ force, log }) {
      if (force) await rm(imageDir, { recursive: true, force: true });
      for (const layer of ['base', 'ready'] as const) {
        const image = await ensureImage(layer, log);
        log(`container image ${layer}: ${image.cached ? 'cached' : 'built'} (build took ${seconds(image.buildMs)}) at ${image.rootfs}`);
      }
    },
    up: (o) => containerUp(o),
    down: (log) => containerDown(log),
    status: () => containerStatus(),
  },
  vm: {
    async build({ log }) {
      const image = await (await vm()).buildVmImage({ log });
      log(`vm image: ${image.cached ? 'cached' : 'built'} (build took ${seconds(image.ms)})`);
    },
    // One VM: it boots under TCG, minutes each.
    up: async ({ log }) => [await (await vm()).vmUp({ log })],
    down: async () => (await vm().catch(() => undefined))?.vmDown(),
    async status() {
      const s = await (await vm().catch(() => undefined))?.vmStatus();
      return s?.running ? [{ name: 'vm1', address: `127.0.0.1:${s.sshPort}`, running: true, sshReachable: true, memMiB: s.memMiB, bootToSshMs: s.bootToSshMs }] : [];
    },
  },
  arm64: {
    async build({ log }) {
      const image = await ensureArm64Image('base', log);
      log(`arm64 image: ${image.cached ? 'cached' : 'built'} (build took ${seconds(image.buildMs)}) at ${image.rootfs}`);
    },
    up: (o) => arm64Up(o),
    down: (log) => arm64Down(log),
    status: () => arm64Status(),
  },
} satisfies Record<string, LabKind>;

export type LabKindName = keyof typeof labKinds;
export const labKindNames = Object.keys(labKinds) as LabKindName[];

/**
 * Images built only when asked by name (`build --kind first-boot`), never by `all`: the first-boot
 * image (cloud-init, no user, key or host key of camfleet's) is booted by bootstrap's e2e test
 * alone, from a card folder it writes first.
 */
export const extraImages = {
  'first-boot': async (log: Log) => {
    const image = await ensureVariant(firstBootVariant, log);
    log(`first-boot image: ${image.cached ? 'cached' : 'built'} (build took ${seconds(image.buildMs)}) at ${image.rootfs}`);
  },
} satisfies Record<string, (log: Log) => Promise<void>>;
