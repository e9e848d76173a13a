// What the VM lab kind (lab/vm/index.ts) offers the lab CLI, tests and benchmarks.
import type { LabHost } from './state.ts';

export interface VmOptions {
  log?: (line: string) => void;
}

export declare function buildVmImage(o?: VmOptions): Promise<{ ms: number; cached: boolean }>;
export declare function vmUp(o?: VmOptions): Promise<LabHost>;
export declare function vmDown(): Promise<void>;
export declare function vmStatus(): Promise<{ running: boolean; pid?: number; sshPort?: number; memMiB?: number; bootToSshMs?: number }>;
/** qemu killed (SIGKILL): a power cut, the disk kept; the host's clock (ms) just after it. */
export declare function vmPowerCut(): Promise<number>;
/** Boot again from the disk a power cut left, on the same ports and host key. */
export declare function vmPowerOn(o?: VmOptions): Promise<LabHost>;
