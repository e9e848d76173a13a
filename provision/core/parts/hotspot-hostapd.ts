// The hotspot as hostapd + dnsmasq run it: the Pi at 192.168.50.1 (set by
// camfleet-hotspot-address.service), DHCP by dnsmasq, and NetworkManager told to leave the
// interface alone.
import { paths, units } from '../render/paths.ts';
import { absentFiles, offUnit, onUnit, type HotspotMode } from './part.ts';

export const hostapdHotspot: HotspotMode = {
  mode: 'hostapd',
  packages: ['hostapd', 'dnsmasq', 'iw', 'rfkill'],
  on: ({ template }) => ({
    files: [
      // Holds the passphrase: root-only, its diff masked.
      template(paths.hostapdConf, 'hostapd.conf', 'hostapd', { mode: 0o600, sensitive: true }),
      template(paths.dnsmasqConf, 'dnsmasq.conf', 'dnsmasq'),
      template(paths.hotspotAddressUnit, 'camfleet-hotspot-address.service', 'systemd'),
      template(paths.nmUnmanaged, 'camfleet-unmanaged.conf', 'keyfile'), // NetworkManager's conf.d
    ],
    units: [
      onUnit(units.hotspotAddress, [paths.hotspotAddressUnit]),
      // Debian ships hostapd masked until it has a configuration.
      { name: units.hostapd, enabled: true, active: true, unmask: true, restartOn: [paths.hostapdConf], reloadOn: [] },
      onUnit(units.dnsmasq, [paths.dnsmasqConf]),
    ],
  }),
  off: {
    absent: absentFiles([paths.hostapdConf, paths.dnsmasqConf, paths.hotspotAddressUnit, paths.nmUnmanaged]),
    units: [offUnit(units.hostapd), offUnit(units.dnsmasq), offUnit(units.hotspotAddress)],
  },
};
