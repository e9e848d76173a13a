// The host's own readings, exported under the same names by a camera Pi (camera-metrics.ts) and an
// origin (origin-metrics.ts), so one alert rule (examples/prometheus: under 10% disk free) and one
// dashboard panel cover both. Absent readings export nothing. camfleet's version of the host's
// config (configInfo) is one name on both too.
import type { MetricFamily, Sample } from './prometheus.ts';

export interface HostReadings {
  /** Free bytes on the root file system for unprivileged users, and its size. */
  diskFreeBytes?: number;
  diskSizeBytes?: number;
  hostUptimeSeconds?: number;
}

const one = (value: number | undefined): Sample[] => (value === undefined || !Number.isFinite(value) ? [] : [{ value }]);
const g = (name: string, help: string, samples: Sample[]): MetricFamily => ({ name: `camfleet_${name}`, help, type: 'gauge', samples });

/** camfleet's version of the host's config (render's hash of it, the file parts/metrics.ts writes), when known. */
export function configInfo(version: string | undefined): MetricFamily {
  return g('config_info', "camfleet's version of this host's config (a hash of what it rendered), as a label.", version ? [{ labels: { version }, value: 1 }] : []);
}

export function hostMetrics(r: HostReadings): MetricFamily[] {
  return [
    g('disk_free_bytes', 'Free bytes on the root file system (for unprivileged users).', one(r.diskFreeBytes)),
    g('disk_size_bytes', 'Size of the root file system.', one(r.diskSizeBytes)),
    g('host_uptime_seconds', 'Seconds since the host booted.', one(r.hostUptimeSeconds)),
  ];
}
