// The status round trip: units, nginx-rtmp's statistics (fetched on the Pi itself, over its own
// loopback, which the stat access list allows by default) and the streamer's status file.
import { q } from '../remote.ts';
import { paths, units } from '../render/paths.ts';
import { viewerTemplateContext, webrtcPorts } from '../render/viewer.ts';
import type { ResolvedHost } from '../types.ts';

export function statusScript(host: ResolvedHost): string {
  const statUrl = `http://127.0.0.1:${host.stream.statPort}/stat`;
  const fetchStat = `fetch(process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(Buffer.from(t).toString('base64')), () => process.exit(1))`;
  return [
    `printf 'nginx\\t%s\\n' "$(systemctl is-active ${q(units.nginx)})"`,
    `printf 'streamer\\t%s\\n' "$(systemctl is-active ${q(units.streamer)})"`,
    `if command -v node >/dev/null 2>&1; then printf 'stat\\t%s\\n' "$(node -e ${q(fetchStat)} ${q(statUrl)} 2>/dev/null)"; fi`,
    `[ -f ${q(paths.streamerStatus)} ] && printf 'status\\t%s\\n' "$(base64 -w0 < ${q(paths.streamerStatus)})"`,
    ...(viewerTemplateContext(host).webrtc ? webrtcStatus() : []),
    'exit 0',
  ].join('\n');
}

/** camfleet-webrtc's unit state and its own count of browser viewers. */
function webrtcStatus(): string[] {
  const url = `http://127.0.0.1:${webrtcPorts.whep}/whep/status`;
  const fetchJson = `fetch(process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(Buffer.from(t).toString('base64')), () => process.exit(1))`;
  return [
    `printf 'webrtc\\t%s\\n' "$(systemctl is-active ${q(units.webrtc)})"`,
    `if command -v node >/dev/null 2>&1; then printf 'whep\\t%s\\n' "$(node -e ${q(fetchJson)} ${q(url)} 2>/dev/null)"; fi`,
  ];
}

export interface RawStatus {
  nginx: string;
  streamer: string;
  statXml?: string;
  streamerStatus?: Record<string, unknown>;
  /** camfleet-webrtc's unit state, when the Pi offers WebRTC. */
  webrtc?: string;
  /** Browsers watching over WebRTC, as camfleet-webrtc counts them. */
  webrtcViewers?: number;
}

export function parseStatus(stdout: string): RawStatus {
  const out: RawStatus = { nginx: 'unknown', streamer: 'unknown' };
  for (const line of stdout.split('\n')) {
    const [kind, value = ''] = line.split('\t');
    if (kind === 'nginx') out.nginx = value;
    if (kind === 'streamer') out.streamer = value;
    if (kind === 'stat' && value) out.statXml = Buffer.from(value, 'base64').toString('utf8');
    if (kind === 'webrtc') out.webrtc = value;
    if (kind === 'whep' && value) {
      try {
        const viewers = (JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as { viewers?: unknown }).viewers;
        if (typeof viewers === 'number') out.webrtcViewers = viewers;
      } catch {
        // not camfleet-webrtc's answer: shown as unknown
      }
    }
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
