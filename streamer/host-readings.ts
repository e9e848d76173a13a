// The host's disk and uptime and camfleet's version of its config (contract/host-metrics.ts), read
// at each scrape by the streamer's metrics and by the origin's exporter. A reading that fails is
// left out, not made 0.
import { readFile, statfs } from 'node:fs/promises';
import type { HostReadings } from '../contract/host-metrics.ts';

export async function readHost(): Promise<HostReadings> {
  const [disk, uptime] = await Promise.all([
    statfs('/').then((f) => ({ free: f.bavail * f.bsize, size: f.blocks * f.bsize }), () => undefined),
    readFile('/proc/uptime', 'utf8').then((t) => Number(t.split(' ')[0]), () => undefined),
  ]);
  return {
    diskFreeBytes: disk?.free,
    diskSizeBytes: disk?.size,
    hostUptimeSeconds: uptime !== undefined && Number.isFinite(uptime) ? Math.round(uptime) : undefined,
  };
}

/** The version in render's version file: its first line that is not a comment (undefined when the file cannot be read). */
export function readConfigVersion(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').then((t) => t.split('\n').find((l) => l && !l.startsWith('#'))?.trim(), () => undefined);
}
