// The host's disk and uptime (contract/host-metrics.ts), read at each scrape by the streamer's
// metrics and by the origin's exporter. A reading that fails is left out, not made 0.
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
