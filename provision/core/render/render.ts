// Resolved host -> desired state: every file with its content, mode and owner, the packages, and
// the units with what restarts them, merged from the parts of the Pi (../parts/parts.ts). Here:
// filling a template (every value escaped for the file's format) and what the templates read.
// Pure: templates and the streamer bundle come in as values.
import { createHash } from 'node:crypto';
import type { DesiredState, ResolvedHost } from '../types.ts';
import { checkRendered, escapeContext, keyfileBytes, systemdNameEscape, Verbatim, type Format } from './formats.ts';
import { isUnitFile, paths } from './paths.ts';
import type { Templates } from './templates.ts';
import type { Artifacts, WallAssets } from '../../../contract/artifacts.ts';
import { viewerTemplateContext } from './viewer.ts';
import { localRtmpServer } from '../parts/streamer.ts';
import { originContext, relayUrl } from './origin.ts';
import { RenderError } from './errors.ts';
import { parts } from '../parts/parts.ts';
import type { Contribution, Part, PartContext } from '../parts/part.ts';
import { metricsTemplateContext } from '../parts/metrics.ts';
import { originExporterPaths } from '../parts/origin-exporter.ts';

/** The templates and what is built for the Pi and the browser (the wall and the exporter only to render an origin). */
export interface RenderInputs extends Omit<Artifacts, 'wallAssets' | 'originExporter'> {
  templates: Templates;
  wallAssets?: WallAssets;
  originExporter?: string;
}

export { RenderError };

/** `registry`: the parts to merge, parts.ts's unless a test brings its own. */
export function renderHost(host: ResolvedHost, inputs: RenderInputs, registry: readonly Part[] = parts): DesiredState {
  const context = templateContext(host);
  const template: PartContext['template'] = (path, name, format, extra = {}) => ({
    path,
    content: fill(name, format),
    mode: 0o644,
    owner: 'root',
    group: 'root',
    // A unit is checked on the Pi before it replaces the old one, like nginx.conf.
    ...(isUnitFile(path) && /\.(service|socket|timer)$/.test(path) ? { validate: 'systemd' as const } : {}),
    ...extra,
  });
  const fill = (name: string, format: Format): string => {
    const fn = inputs.templates[name];
    if (!fn) throw new RenderError(host.name, name, 'no such template');
    try {
      const content = fn(escapeContext(context, format));
      checkRendered(content, format);
      return content;
    } catch (e) {
      throw new RenderError(host.name, name, (e as Error).message.split('\n')[0] ?? String(e));
    }
  };

  // Each part adds what it has on this host, or what it removes when off, in the order of parts.ts.
  const ctx: PartContext = { host, template, streamerBundle: inputs.streamerBundle, viewerAssets: inputs.viewerAssets, wallAssets: inputs.wallAssets, originExporter: inputs.originExporter };
  const added = registry.map((p): Contribution => (p.enabled(host) ? { packages: p.packages, ...p.on(ctx) } : { ...p.off(host), packages: [] }));
  const all = <K extends keyof Contribution>(key: K) => added.flatMap((c) => (c[key] ?? []) as NonNullable<Contribution[K]>[number][]);
  return {
    host: host.name,
    packages: [...new Set(all('packages'))],
    files: all('files'),
    absent: all('absent'),
    absentDirs: all('absentDirs'),
    units: all('units'),
    listen: all('listen'),
    // An origin has no camera: ffmpeg's null source is what observe counts as always present.
    camera: host.origin ? { device: 'lavfi:nullsrc', encoder: 'libx264' } : { device: host.camera.device, encoder: host.camera.encoder, size: { width: host.camera.width, height: host.camera.height } },
    hotspot: { mode: host.origin ? 'none' : host.hotspot.mode, interface: host.hotspot.interface },
    secrets: [...host.secrets],
    // The health gate after a change reads the camera's stream; an origin has none of its own.
    ...(host.origin ? {} : { health: { fps: host.camera.fps, statPort: host.stream.statPort, application: host.stream.application } }),
  };
}

/** Everything the templates may refer to. Every key exists (strict mode), even when unused. */
function templateContext(host: ResolvedHost) {
  const h = host.hotspot;
  return {
    host: host.name,
    camera: host.camera,
    stream: host.stream,
    access: host.access,
    hotspot: h,
    viewer: viewerTemplateContext(host),
    // served: the viewer's server lists the segments at /recordings/ and serves the recordings page.
    recording: { ...host.recording, served: host.recording.enabled && host.viewer.enabled && !host.origin },
    // keep.days as whole minutes, what find -mmin counts in.
    keepMinutes: Math.ceil(host.recording.keep.days * 24 * 60),
    paths,
    // A relaying Pi pushes its stream to its origin; an origin admits its relaying Pis.
    relay: host.relay ? { url: relayUrl(host.relay) } : false,
    origin: originContext(host),
    // The statistics server's /metrics: the streamer's on a camera Pi (parts/metrics.ts), the exporter's on an origin.
    metrics: metricsTemplateContext(host),
    originExporter: originExporterPaths,
    // The RTMP block both nginx configs share (templates/_nginx-rtmp.hbs): who may publish, the HLS
    // fragment, and whether camfleet-webrtc or the recorder read the stream back (a camera's only).
    rtmp: rtmpContext(host),
    // The Pi's own nginx-rtmp over loopback, no key (the recorder reads the stream back from it).
    localRtmpServer: localRtmpServer(host),
    hwMode: h.channel > 14 ? 'a' : 'g',
    nmBand: h.channel > 14 ? 'a' : 'bg',
    pskIsHex: /^[0-9a-fA-F]{64}$/.test(h.passphrase),
    netmask: prefixToNetmask(h.prefixLength),
    // The SSID in forms no character of it can break: hex for hostapd's ssid2, bytes for NetworkManager.
    ssidHex: Buffer.from(h.ssid, 'utf8').toString('hex'),
    ssidBytes: keyfileBytes(h.ssid),
    // The interface's device unit, named the way systemd names it (a `-` becomes \x2d).
    interfaceDeviceUnit: new Verbatim(`sys-subsystem-net-devices-${systemdNameEscape(h.interface)}.device`),
    connectionUuid: stableUuid(`camfleet-hotspot:${host.name}`),
  };
}

function rtmpContext(host: ResolvedHost) {
  const origin = originContext(host);
  const viewer = viewerTemplateContext(host);
  return origin
    ? { publish: origin.publish, hlsFragmentMs: origin.hlsFragmentMs, loopbackReader: false }
    : // The recorder and the ingests read the stream back over loopback, whatever access.play says
      // (camfleet-webrtc does not: the streamer's ffmpeg sends it RTP).
      { publish: host.access.publish, hlsFragmentMs: viewer.hlsFragmentMs, loopbackReader: host.recording.enabled || host.ingests.length > 0 };
}

function prefixToNetmask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (bits >>> shift) & 255).join('.');
}

/** A UUID derived from a name, so re-rendering never changes the connection's identity. */
function stableUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
