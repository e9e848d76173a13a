// `render --prometheus FILE`: the fleet as Prometheus file-based service discovery (file_sd_configs),
// one target group per camera Pi: its statistics port, where nginx serves /metrics to
// access.metrics. Prometheus re-reads the file when it changes, so re-rendering after an inventory
// change is all it takes. Pure.
import type { ResolvedHost } from '../types.ts';

export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** The target groups of the hosts that export metrics (camera Pis: an origin exports none yet). */
export function prometheusTargets(hosts: readonly ResolvedHost[]): TargetGroup[] {
  return hosts
    .filter((h) => !h.origin)
    .map((h) => ({
      targets: [`${h.address.includes(':') ? `[${h.address}]` : h.address}:${h.stream.statPort}`],
      // `host` names the Pi as the inventory does (instance is its address); alert rules use it.
      labels: { host: h.name },
    }));
}

export const prometheusSdFile = (hosts: readonly ResolvedHost[]): string => `${JSON.stringify(prometheusTargets(hosts), null, 2)}\n`;
