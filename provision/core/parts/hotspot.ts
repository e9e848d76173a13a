// The Wi-Fi hotspot, in one of its modes (hotspot-networkmanager.ts, hotspot-hostapd.ts). The mode
// a host names brings its files and units and turns every other mode's off, so switching modes
// converges; mode `none` touches nothing (a Pi whose network is managed by hand stays as it is).
// Either mode first sets the regulatory country (camfleet-wifi-country.service): Wi-Fi stays
// rfkill-blocked until it is set. A new mode is a module and a line in `modes`.
import { paths, units } from '../render/paths.ts';
import { onUnit, type HotspotMode, type Part } from './part.ts';
import { networkManagerHotspot } from './hotspot-networkmanager.ts';
import { hostapdHotspot } from './hotspot-hostapd.ts';

const modes: readonly HotspotMode[] = [networkManagerHotspot, hostapdHotspot];

export const hotspot: Part = {
  name: 'hotspot',
  packages: [...new Set(modes.flatMap((m) => m.packages))],
  enabled: (host) => !host.origin && host.hotspot.mode !== 'none',
  on: (ctx) => {
    const mode = modes.find((m) => m.mode === ctx.host.hotspot.mode);
    if (!mode) throw new Error(`${ctx.host.name}: no hotspot mode ${ctx.host.hotspot.mode}`);
    const others = modes.filter((m) => m !== mode);
    const own = mode.on(ctx);
    return {
      packages: mode.packages,
      files: [ctx.template(paths.wifiCountryUnit, 'camfleet-wifi-country.service', 'systemd'), ...(own.files ?? [])],
      absent: others.flatMap((m) => m.off.absent ?? []),
      // The other modes' units off first, so two hotspots never hold the interface at once.
      units: [...others.flatMap((m) => m.off.units ?? []), onUnit(units.wifiCountry, [paths.wifiCountryUnit]), ...(own.units ?? [])],
    };
  },
  off: () => ({}),
};
