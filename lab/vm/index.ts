// The VM lab kind: one qemu VM lab Pi (`vm1`) with a V4L2 camera and two simulated Wi-Fi radios.
// Implements the interface lab/vm-api.ts declares for the lab CLI, tests and benchmarks.
export { buildVmImage, type VmOptions } from './image.ts';
export { vmDown, vmPowerCut, vmPowerOn, vmRun, vmStatus, vmUp, vmInventory, vmConsoleLog, type VmRun } from './vm.ts';
