// The VM lab Pi's name and its fixed SSH host key.
import { labHostKey } from '../host-keys.ts';

export const vmName = 'vm1';

/**
 * The VM's SSH host key: made once on this machine and baked into the image, so the lab's
 * known_hosts can name it and camfleet keeps strict host-key checking on.
 */
export const vmHostKey = (): ReturnType<typeof labHostKey> => labHostKey(vmName);
