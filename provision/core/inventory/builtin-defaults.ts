// What a host gets when neither the inventory's defaults, its groups nor the host itself say
// otherwise. These follow the seed system (and Raspberry Pi OS) so that a minimal inventory works;
// the camera's are the streamer's own (contract/), written as the inventory writes them.
import { defaultCamera as cam } from '../../../contract/camera.ts';
import { defaultStreamKey } from '../../../contract/streamer-config.ts';

export const builtinDefaults = {
  ssh: { user: 'pi', port: 22, knownHostsFile: '~/.ssh/known_hosts' },
  // No gop: it follows fps (a keyframe a second).
  camera: { device: cam.device, inputFormat: cam.inputFormat, resolution: `${cam.width}x${cam.height}`, fps: cam.fps, bitrate: `${cam.bitrate / 1000}k`, encoder: cam.encoder },
  stream: { port: 1935, application: 'live', key: defaultStreamKey, statPort: 8080 },
  access: { publish: ['127.0.0.1'], play: ['all'], stat: ['127.0.0.1'], metrics: ['127.0.0.1'] },
  hotspot: { mode: 'none', interface: 'wlan0', channel: 6, prefixLength: 24 },
  // Phones are what viewers carry: every Pi serves its page unless told not to.
  viewer: { enabled: true, port: 80, paths: ['webrtc', 'hls'] },
  // A Pi serves its own viewers unless it is told to relay to an origin.
  relay: {},
  // First boot only (npm run bootstrap): wired DHCP unless a Wi-Fi uplink is named; Raspberry Pi OS's own zone.
  uplink: { mode: 'ethernet', interface: 'wlan0' },
  firstBoot: { timezone: 'Etc/UTC' },
  // Off unless asked: recording writes to the Pi's disk. One-minute segments on the Pi's own disk,
  // a week kept, and never less than a tenth of the disk free.
  recording: { enabled: false, path: '/var/lib/camfleet/recordings', segment: 60, keep: { days: 7, minFreePercent: 10 } },
} as const;

/** The seed's addresses: NetworkManager's shared mode puts the Pi at 10.42.0.1, hostapd at 192.168.50.1. */
export const hotspotAddressing = {
  networkmanager: { address: '10.42.0.1', dhcpStart: '10.42.0.10', dhcpEnd: '10.42.0.254' },
  hostapd: { address: '192.168.50.1', dhcpStart: '192.168.50.10', dhcpEnd: '192.168.50.100' },
  none: { address: '192.168.50.1', dhcpStart: '192.168.50.10', dhcpEnd: '192.168.50.100' },
} as const;
