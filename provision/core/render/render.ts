// Resolved host -> desired state: every file with its content, mode and owner, the packages, and
// the units with what restarts them. Pure: templates and the streamer bundle come in as values.
import { createHash } from 'node:crypto';
import { managedMarker, type AbsentFile, type DesiredState, type DesiredUnit, type ManagedFile, type ResolvedHost } from '../types.ts';
import { validateStreamerConfig, type StreamerConfig } from '../../contract/streamer-config.ts';
import { checkRendered, escapeContext, formatOf, jsonFile, keyfileBytes, lineFile, systemdNameEscape, Verbatim } from './formats.ts';
import { isUnitFile, paths, units } from './paths.ts';
import type { Templates } from './templates.ts';
import type { ViewerAssets } from '../../../viewer/config.ts';
import { renderViewer, viewerTemplateContext } from './viewer.ts';
import type { WallAssets } from '../../../wall/build.ts';
import { originContext, relayUrl, renderOrigin } from './origin.ts';

export interface RenderInputs {
  templates: Templates;
  /** The bundled streamer program, deployed as a managed file. */
  streamerBundle: string;
  /** The viewer page's files (viewer/build.ts). */
  viewerAssets: ViewerAssets;
  /** The fleet wall's files (wall/build.ts): needed only to render an origin. */
  wallAssets?: WallAssets;
}

export class RenderError extends Error {
  constructor(readonly host: string, readonly template: string, message: string) {
    super(`${host}: template ${template}: ${message}`);
    this.name = 'RenderError';
  }
}

export const basePackages = ['nginx', 'libnginx-mod-rtmp', 'ffmpeg', 'nodejs'];

export function renderHost(host: ResolvedHost, inputs: RenderInputs): DesiredState {
  const context = templateContext(host);
  const render = (template: string): string => {
    const fn = inputs.templates[template];
    if (!fn) throw new RenderError(host.name, template, 'no such template');
    try {
      const format = formatOf(template);
      const content = fn(escapeContext(context, format));
      checkRendered(content, format);
      return content;
    } catch (e) {
      throw new RenderError(host.name, template, (e as Error).message.split('\n')[0] ?? String(e));
    }
  };
  const file = (path: string, template: string, extra: Partial<ManagedFile> = {}): ManagedFile => ({
    path,
    content: render(template),
    mode: 0o644,
    owner: 'root',
    group: 'root',
    // A unit is checked on the Pi before it replaces the old one, like nginx.conf.
    ...(isUnitFile(path) && /\.(service|socket|timer)$/.test(path) ? { validate: 'systemd' as const } : {}),
    ...extra,
  });

  if (host.origin) return renderOrigin({ ...host, origin: host.origin }, inputs, file);

  const files: ManagedFile[] = [
    file(paths.nginxConf, 'nginx.conf', { validate: 'nginx' }),
    ...streamerFiles(host),
    { path: paths.streamerBundle, content: inputs.streamerBundle, mode: 0o644, owner: 'root', group: 'root' },
    file(paths.streamerUnit, 'camfleet-streamer.service'),
    file(paths.nginxDropIn, 'nginx-restart.conf'),
  ];
  const unitList: DesiredUnit[] = [
    // A changed config restarts nginx rather than reloading it: after a reload the camera's RTMP
    // stream stays on nginx-rtmp's old worker, which never exits while it is connected, so new
    // players, HLS and the relay would see nothing until the streamer happened to reconnect. A
    // restart drops it and the streamer is back within seconds. The drop-in only changes what
    // systemd does when nginx dies: daemon-reload is enough.
    { name: units.nginx, enabled: true, active: true, restartOn: [paths.nginxConf], reloadOn: [] },
    {
      name: units.streamer,
      enabled: true,
      active: true,
      restartOn: [paths.streamerUnit, paths.streamerConfig, paths.streamKey, paths.streamerBundle],
      reloadOn: [],
    },
  ];
  const hotspot = renderHotspot(host, file);
  const viewer = renderViewer(host, inputs.viewerAssets, file);
  return {
    host: host.name,
    packages: [...basePackages, ...hotspot.packages],
    files: [...files, ...viewer.files, ...hotspot.files],
    absent: [...viewer.absent, ...hotspot.absent],
    absentDirs: viewer.absentDirs,
    units: [...unitList, ...viewer.units, ...hotspot.units],
    listen: [host.stream.port, host.stream.statPort, ...viewer.listen],
    camera: { device: host.camera.device, encoder: host.camera.encoder },
    hotspot: { mode: host.hotspot.mode, interface: host.hotspot.interface },
    secrets: [...host.secrets],
  };
}

type FileMaker = (path: string, template: string, extra?: Partial<ManagedFile>) => ManagedFile;

/** Where the streamer on the Pi publishes: nginx on the Pi itself, over loopback. */
const localRtmpServer = (host: ResolvedHost): string => `rtmp://127.0.0.1:${host.stream.port}/${host.stream.application}`;

/**
 * streamer.json, written from the contract's type (JSON.stringify, no template) and checked by the
 * very function the streamer reads it with; and the stream key in a file of its own, root-only, so
 * streamer.json holds no secret and its diffs need no mask.
 */
function streamerFiles(host: ResolvedHost): ManagedFile[] {
  const comment = `${managedMarker}. Local edits are replaced on the next provision.`;
  const config: StreamerConfig = { comment, ...host.camera, server: localRtmpServer(host), statusFile: paths.streamerStatus };
  try {
    validateStreamerConfig(config, "the streamer's contract");
  } catch (e) {
    throw new RenderError(host.name, 'streamer.json', (e as Error).message);
  }
  const root = { owner: 'root', group: 'root' };
  return [
    { path: paths.streamerConfig, content: jsonFile(config), mode: 0o644, ...root },
    { path: paths.streamKey, content: lineFile(comment, host.stream.key), mode: 0o600, ...root, sensitive: host.secrets.includes(host.stream.key) },
  ];
}

interface HotspotPart {
  packages: string[];
  files: ManagedFile[];
  absent: AbsentFile[];
  units: DesiredUnit[];
}

/** A unit camfleet wants stopped and disabled (the other hotspot mode's), if it exists at all. */
const off = (name: string): DesiredUnit => ({ name, enabled: false, active: false, restartOn: [], reloadOn: [] });

/**
 * Each hotspot mode brings its files and units and turns the other mode's off, so switching modes
 * converges. Mode `none` touches nothing: a Pi whose network is managed by hand stays as it is.
 */
function renderHotspot(host: ResolvedHost, file: FileMaker): HotspotPart {
  const h = host.hotspot;
  if (h.mode === 'none') return { packages: [], files: [], absent: [], units: [] };

  const country: DesiredUnit = {
    name: units.wifiCountry,
    enabled: true,
    active: true,
    restartOn: [paths.wifiCountryUnit],
    reloadOn: [],
  };
  const countryFile = file(paths.wifiCountryUnit, 'camfleet-wifi-country.service');
  const secret = { mode: 0o600, sensitive: true };

  if (h.mode === 'networkmanager') {
    return {
      packages: ['network-manager', 'iw', 'rfkill'],
      files: [countryFile, file(paths.nmConnection, 'camfleet-hotspot.nmconnection', secret), file(paths.nmHotspotUnit, 'camfleet-hotspot.service')],
      absent: [{ path: paths.hostapdConf }, { path: paths.dnsmasqConf }, { path: paths.hotspotAddressUnit }, { path: paths.nmUnmanaged }],
      units: [
        off(units.hostapd),
        off(units.dnsmasq),
        off(units.hotspotAddress),
        country,
        { name: units.networkManager, enabled: true, active: true, restartOn: [], reloadOn: [] },
        { name: units.nmHotspot, enabled: true, active: true, restartOn: [paths.nmConnection, paths.nmHotspotUnit], reloadOn: [] },
      ],
    };
  }
  return {
    packages: ['hostapd', 'dnsmasq', 'iw', 'rfkill'],
    files: [
      countryFile,
      file(paths.hostapdConf, 'hostapd.conf', secret),
      file(paths.dnsmasqConf, 'dnsmasq.conf'),
      file(paths.hotspotAddressUnit, 'camfleet-hotspot-address.service'),
      file(paths.nmUnmanaged, 'camfleet-unmanaged.conf'),
    ],
    absent: [{ path: paths.nmConnection }, { path: paths.nmHotspotUnit }],
    units: [
      off(units.nmHotspot),
      country,
      { name: units.hotspotAddress, enabled: true, active: true, restartOn: [paths.hotspotAddressUnit], reloadOn: [] },
      // Debian ships hostapd masked until it has a configuration.
      { name: units.hostapd, enabled: true, active: true, unmask: true, restartOn: [paths.hostapdConf], reloadOn: [] },
      { name: units.dnsmasq, enabled: true, active: true, restartOn: [paths.dnsmasqConf], reloadOn: [] },
    ],
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
    paths,
    // A relaying Pi pushes its stream to its origin; an origin admits its relaying Pis.
    relay: host.relay ? { url: relayUrl(host.relay) } : false,
    origin: originContext(host),
    // The WebRTC service reads the stream back from nginx on the Pi itself, over loopback; the key
    // it adds from the stream key's own file, like the streamer.
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

function prefixToNetmask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (bits >>> shift) & 255).join('.');
}

/** A UUID derived from a name, so re-rendering never changes the connection's identity. */
function stableUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
