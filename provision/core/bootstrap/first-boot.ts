// What a Pi's first boot is given, whichever route carries it (cloud-init's seed files or
// Bookworm's firstrun.sh), and the facts both routes share.
import type { ResolvedHost } from '../types.ts';
import type { HostKeyPair } from './values.ts';

export interface FirstBoot {
  host: ResolvedHost;
  /** The operator's public key line the Pi authorizes for host.ssh.user (checked: values.ts). */
  authorizedKey: string;
  /** Generated on the workstation; its public half is pinned in known_hosts before the Pi boots. */
  hostKey: HostKeyPair;
  /** New for every card written, so cloud-init treats the card as a new instance. */
  instanceId: string;
}

/** One file for the card's boot partition. */
export interface CardFile {
  /** Its name in the boot partition's top folder. */
  name: string;
  content: string;
  /** Holds the private host key or a passphrase: the first boot shreds it. */
  secret: boolean;
}

export type CardFormat = 'cloud-init' | 'firstrun';
export const cardFormats: readonly CardFormat[] = ['cloud-init', 'firstrun'];

/** Every file camfleet writes carries this, so a second bootstrap knows the card's files for its own. */
export const cardMarker = 'Managed by camfleet (npm run bootstrap)';

/** Where Raspberry Pi OS mounts the boot partition (cloud-init's NoCloud seed is read from it). */
export const bootMount = '/boot/firmware';

/** Groups the operator's user joins: sudo for provisioning, video for the camera. */
export const userGroups = ['sudo', 'video'];

/** Raspberry Pi OS's first-boot service that would replace the pinned host key with fresh ones. */
export const regenerateKeysUnit = 'regenerate_ssh_host_keys.service';
