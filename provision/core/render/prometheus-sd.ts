// `render --prometheus FILE`: the fleet as Prometheus file-based service discovery (file_sd_configs),
// one target group per host: its statistics port, where nginx serves /metrics to access.metrics
// (a camera Pi's streamer, an origin's exporter). Prometheus re-reads the file when it changes, so
// re-rendering after an inventory change is all it takes. Pure.
import type { ResolvedHost } from '../types.ts';

export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** The target groups of the fleet: every camera Pi and every origin. */
export function prometheusTargets(hosts: readonly ResolvedHost[]): TargetGroup[] {
  return hosts.map((h) => ({
    targets: [`${h.address.includes(':') ? `[${h.address}]` : h.address}:${h.stream.statPort}`],
    // `host` names the host as the inventory does (instance is its address); `role` tells a camera
    // from an origin, whose metrics differ (camfleet_origin_*). Alert rules use both.
    labels: { host: h.name, role: h.origin ? 'origin' : 'camera' },
  }));
}

export const prometheusSdFile = (hosts: readonly ResolvedHost[]): string => `${JSON.stringify(prometheusTargets(hosts), null, 2)}\n`;
