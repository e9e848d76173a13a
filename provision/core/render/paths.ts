// Where camfleet's files land on a Pi. One place, so plan, apply, status and tests agree.
export const paths = {
  nginxConf: '/etc/nginx/nginx.conf',
  /** A drop-in for Debian's own nginx.service (restart it when it dies). */
  nginxDropIn: '/etc/systemd/system/nginx.service.d/camfleet.conf',
  streamerBundle: '/opt/camfleet/streamer.mjs',
  streamerConfig: '/etc/camfleet/streamer.json',
  /** The stream key alone (it may be a secret): root-only, handed to the streamer by LoadCredential=. */
  streamKey: '/etc/camfleet/stream-key',
  streamerUnit: '/etc/systemd/system/camfleet-streamer.service',
  streamerStatus: '/run/camfleet/streamer-status.json',
  /** Restarts/reloads owed: written by apply before it swaps files in, read by observe, cleared once done. */
  pendingRestarts: '/var/lib/camfleet/pending-restarts',
  /** Held (flock) by the run applying a plan, so a second run at once refuses: in /run, gone at boot. */
  runLock: '/run/camfleet.lock',
  nmConnection: '/etc/NetworkManager/system-connections/camfleet-hotspot.nmconnection',
  nmHotspotUnit: '/etc/systemd/system/camfleet-hotspot.service',
  nmUnmanaged: '/etc/NetworkManager/conf.d/camfleet-unmanaged.conf',
  hostapdConf: '/etc/hostapd/hostapd.conf',
  dnsmasqConf: '/etc/dnsmasq.d/camfleet-hotspot.conf',
  hotspotAddressUnit: '/etc/systemd/system/camfleet-hotspot-address.service',
  wifiCountryUnit: '/etc/systemd/system/camfleet-wifi-country.service',
  viewerRoot: '/var/www/camfleet',
  viewerPage: '/var/www/camfleet/index.html',
  viewerApp: '/var/www/camfleet/app.js',
  viewerHlsLibrary: '/var/www/camfleet/hls.min.js',
  /** An origin's fleet wall script (its page is the origin's index.html). */
  wallApp: '/var/www/camfleet/wall.js',
  // HLS fragments live in memory (rewriting a second of video every second would wear an SD
  // card). nginx-rtmp creates this directory itself, owned by its workers, when it reads its
  // config: /dev/shm exists on every Pi and on the operator's machine, whose `nginx -t` in
  // `render` would otherwise fail (or write into /var/lib) there.
  hlsDir: '/dev/shm/camfleet-hls',
  // CommonJS: with no package.json beside it, Node reads a .js file as such.
  webrtcService: '/opt/camfleet/webrtc.js',
  webrtcConfig: '/etc/camfleet/webrtc.json',
  webrtcUnit: '/etc/systemd/system/camfleet-webrtc.service',
  /** The recorder (parts/recording.ts): a POSIX sh script around ffmpeg -c copy, and its unit. */
  recorderScript: '/opt/camfleet/recorder.sh',
  recorderUnit: '/etc/systemd/system/camfleet-recorder.service',
  /** The recordings page, beside the viewer page; nginx lists the segments at /recordings/. */
  recordingsPage: '/var/www/camfleet/recordings.html',
  /** External ingests (parts/ingest.ts): a POSIX sh script around one ffmpeg -c copy per ingest, its unit, and its list (root-only: it holds the keys). */
  ingestScript: '/opt/camfleet/ingest.sh',
  ingestUnit: '/etc/systemd/system/camfleet-ingest.service',
  ingestsConf: '/etc/camfleet/ingests.conf',
  /** camfleet's version of the host's config, one line: a camera Pi's streamer and an origin's exporter export it (parts/metrics.ts). */
  configVersion: '/etc/camfleet/config-version',
} as const;

export const units = {
  nginx: 'nginx.service',
  streamer: 'camfleet-streamer.service',
  networkManager: 'NetworkManager.service',
  nmHotspot: 'camfleet-hotspot.service',
  hostapd: 'hostapd.service',
  dnsmasq: 'dnsmasq.service',
  hotspotAddress: 'camfleet-hotspot-address.service',
  webrtc: 'camfleet-webrtc.service',
  wifiCountry: 'camfleet-wifi-country.service',
  recorder: 'camfleet-recorder.service',
  ingest: 'camfleet-ingest.service',
} as const;

/** What belongs to the hotspot (either mode): changing any of it reconfigures the Wi-Fi interface. */
export const hotspotPaths: readonly string[] = [paths.nmConnection, paths.nmHotspotUnit, paths.nmUnmanaged, paths.hostapdConf, paths.dnsmasqConf, paths.hotspotAddressUnit, paths.wifiCountryUnit];
export const hotspotUnits: readonly string[] = [units.networkManager, units.nmHotspot, units.hostapd, units.dnsmasq, units.hotspotAddress, units.wifiCountry];

export function isUnitFile(path: string): boolean {
  return path.startsWith('/etc/systemd/system/');
}

/** A drop-in (`<unit>.d/*.conf`) amends a unit: daemon-reload applies it, but it is not a unit of its own. */
export function isDropIn(path: string): boolean {
  return isUnitFile(path) && /\.d\/[^/]+\.conf$/.test(path);
}
