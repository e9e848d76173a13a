// The status round trip: status.sh with this host's values, and what its lines mean.
import { withValues } from '../remote.ts';
import { scriptFile } from '../remote-scripts.ts';
import { paths, units } from '../render/paths.ts';
import type { ResolvedHost } from '../types.ts';

export function statusScript(host: ResolvedHost): string {
  return withValues(scriptFile('status/status.sh'), {
    env: {
      NGINX_UNIT: units.nginx,
      STREAMER_UNIT: units.streamer,
      STAT_URL: `http://127.0.0.1:${host.stream.statPort}/stat`,
      STATUS_FILE: paths.streamerStatus,
    },
  });
}

export interface RawStatus {
  nginx: string;
  streamer: string;
  statXml?: string;
  streamerStatus?: Record<string, unknown>;
}

export function parseStatus(stdout: string): RawStatus {
  const out: RawStatus = { nginx: 'unknown', streamer: 'unknown' };
  for (const line of stdout.split('\n')) {
    const [kind, value = ''] = line.split('\t');
    if (kind === 'nginx') out.nginx = value;
    if (kind === 'streamer') out.streamer = value;
    if (kind === 'stat' && value) out.statXml = Buffer.from(value, 'base64').toString('utf8');
    if (kind === 'status' && value) {
      try {
        out.streamerStatus = JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as Record<string, unknown>;
      } catch {
        // caught mid-write: shown as unknown
      }
    }
  }
  return out;
}
