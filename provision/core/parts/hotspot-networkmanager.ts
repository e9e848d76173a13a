// The hotspot as NetworkManager runs it (Raspberry Pi OS's default): a keyfile connection, brought
// up by camfleet-hotspot.service; the Pi at 10.42.0.1, DHCP by NetworkManager.
import { paths, units } from '../render/paths.ts';
import { absentFiles, offUnit, onUnit, type HotspotMode } from './part.ts';

export const networkManagerHotspot: HotspotMode = {
  mode: 'networkmanager',
  packages: ['network-manager', 'iw', 'rfkill'],
  on: ({ template }) => ({
    files: [
      // Holds the passphrase: root-only, its diff masked.
      template(paths.nmConnection, 'camfleet-hotspot.nmconnection', 'keyfile', { mode: 0o600, sensitive: true }),
      template(paths.nmHotspotUnit, 'camfleet-hotspot.service', 'systemd'),
    ],
    units: [onUnit(units.networkManager, []), onUnit(units.nmHotspot, [paths.nmConnection, paths.nmHotspotUnit])],
  }),
  off: { absent: absentFiles([paths.nmConnection, paths.nmHotspotUnit]), units: [offUnit(units.nmHotspot)] },
};
