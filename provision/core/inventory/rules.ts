// Rules JSON Schema cannot say: they look at merged values (a passphrase may come from a group, an
// fps from defaults) and point at the line that set the offending value.
import { cameraProblems } from '../../../contract/camera.ts';
import type { Problem } from '../errors.ts';
import { allowEntryFault, allowEntryForm, isIpv4, parseAddress } from './address.ts';
import type { ResolvedHost } from '../types.ts';
import type { InventoryDocument, YamlPath } from './document.ts';
import type { Resolution } from './resolve.ts';
import { checkViewer } from './viewer-rules.ts';
import { checkIngests } from './ingests.ts';

/** Where the merged setting `section.key` was set (the host itself for built-in defaults). */
type At = (key: string) => YamlPath;
/** Whether any layer set `section.key` (a secret that failed to resolve is still set). */
type IsSet = (key: string) => boolean;

export function checkHost(doc: InventoryDocument, r: Pick<Resolution, 'host' | 'at' | 'isSet' | 'failed'>, o: { firstBoot?: boolean } = {}): Problem[] {
  const { host, at, isSet } = r;
  return [
    ...checkSsh(doc, host, at),
    ...checkCamera(doc, host, at),
    ...checkStream(doc, host, at),
    ...checkAccess(doc, host, at),
    ...checkHotspot(doc, host, at, isSet, r.failed),
    ...checkViewer(doc, host, at),
    ...checkUplink(doc, host, at, isSet, r.failed, o.firstBoot === true),
    ...checkIngests(doc, host.ingests, (name) => at(`relay.ingests.${name}`), new Set(host.ingests.map((i) => i.name).filter((n) => r.failed(`relay.ingests.${n}`)))),
  ];
}

/**
 * The first boot's Wi-Fi: on a radio the hotspot does not take over (provision would cut the Pi
 * off the network it was reached on), and, when bootstrap writes it, complete and WPA2-valid.
 */
function checkUplink(doc: InventoryDocument, host: ResolvedHost, at: At, isSet: IsSet, failed: (key: string) => boolean, firstBoot: boolean): Problem[] {
  const u = host.uplink;
  if (u.mode !== 'wifi') return [];
  const problems: Problem[] = [];
  const bad = (key: string, message: string) => problems.push(doc.problem(at(`uplink.${key}`), message));
  if (host.hotspot.mode !== 'none' && host.hotspot.interface === u.interface)
    // At the interface when one was named (a built-in default points at the host itself), else at the mode that asked for Wi-Fi on the default radio.
    bad(at('uplink.interface').length > 2 ? 'interface' : 'mode', `${u.interface} is the radio the hotspot (${host.hotspot.mode}) takes over: the Pi would lose this uplink once provisioned; name a second radio (e.g. wlan1) or use ethernet`);
  const required = (what: string) => `${what} is required when uplink.mode is wifi (set it on the host, one of its groups, or defaults)`;
  const ssidBytes = Buffer.byteLength(u.ssid, 'utf8');
  if (ssidBytes === 0) bad('ssid', required('ssid'));
  else if (ssidBytes > 32) bad('ssid', `must be 1-32 bytes (is ${ssidBytes} bytes)`);
  if (!u.country) bad('country', required('country'));
  if (!isSet('uplink.passphrase')) bad('passphrase', required('passphrase'));
  // Only bootstrap reads it; never quoted back, only its length.
  else if (firstBoot && !failed('uplink.passphrase') && !isWpa2Passphrase(u.passphrase))
    bad('passphrase', `must be 8-63 printable ASCII characters or 64 hex digits, as WPA2 takes it (it has ${u.passphrase.length} characters)`);
  return problems;
}

/** Each allow-list entry goes into nginx.conf as it is written: checked here, at its own line, not by nginx -t on the Pi. */
function checkAccess(doc: InventoryDocument, host: ResolvedHost, at: At): Problem[] {
  return (['publish', 'play', 'stat', 'metrics'] as const).flatMap((list) =>
    host.access[list].flatMap((entry, i) => {
      const fault = allowEntryFault(entry);
      return fault ? [doc.problem([...at(`access.${list}`), i], `${allowEntryForm}: ${fault}`)] : [];
    }),
  );
}

function checkSsh(doc: InventoryDocument, host: ResolvedHost, at: At): Problem[] {
  const port = /:(\d+)$/.exec(host.ssh.jump ?? '')?.[1];
  return port !== undefined && !isPort(Number(port)) ? [doc.problem(at('ssh.jump'), `jump host port ${port} is not a TCP port (1-65535)`)] : [];
}

function checkStream(doc: InventoryDocument, host: ResolvedHost, at: At): Problem[] {
  const problems: Problem[] = [];
  const { port, statPort } = host.stream;
  if (port === statPort) problems.push(doc.problem(at('stream.statPort'), `is the same port as stream.port (${port}): nginx cannot listen on one port for both`));
  // The streamer on the Pi publishes over loopback; an allow-list without it locks the Pi's own camera out.
  if (!host.access.publish.some((entry) => admits(entry, '127.0.0.1')))
    problems.push(doc.problem(at('access.publish'), "must admit 127.0.0.1 (the Pi's own streamer publishes over loopback): add 127.0.0.1"));
  return problems;
}

/** The camera's limits are the streamer's (contract/camera.ts): one check, put at its place here. */
function checkCamera(doc: InventoryDocument, host: ResolvedHost, at: At): Problem[] {
  return cameraProblems(host.camera).map((p) => doc.problem(at(`camera.${p.setting}`), p.message));
}

function checkHotspot(doc: InventoryDocument, host: ResolvedHost, at: At, isSet: IsSet, failed: (key: string) => boolean): Problem[] {
  const h = host.hotspot;
  if (h.mode === 'none') return [];
  const problems: Problem[] = [];
  const bad = (key: string, message: string) => problems.push(doc.problem(at(`hotspot.${key}`), message));
  const required = (what: string) =>
    `${what} is required when hotspot.mode is ${h.mode} (set it on the host, one of its groups, or defaults)`;

  const ssidBytes = Buffer.byteLength(h.ssid, 'utf8');
  if (ssidBytes === 0) bad('ssid', required('ssid'));
  else if (ssidBytes > 32) bad('ssid', `must be 1-32 bytes (is ${ssidBytes} bytes)`);

  // The passphrase itself is never quoted back: only its length and what is wrong with it.
  if (!isSet('hotspot.passphrase')) {
    bad('passphrase', required('passphrase'));
  } else if (!failed('hotspot.passphrase') && !isWpa2Passphrase(h.passphrase)) {
    bad('passphrase', `must be 8-63 printable ASCII characters or 64 hex digits (it has ${h.passphrase.length} characters)`);
  }

  // Without a regulatory country the radio stays rfkill-blocked, in either mode.
  if (!h.country) bad('country', required('country'));
  // Both modes render a channel above 14 as 5 GHz (hw_mode=a, band=a): only its non-radar channels are.
  if (h.channel > 14 && ![36, 40, 44, 48].includes(h.channel)) bad('channel', 'use 1-14 (2.4 GHz) or 36-48 (5 GHz, no radar detection)');

  const net = subnet(h.address, h.prefixLength);
  const outside = (['dhcpStart', 'dhcpEnd'] as const).filter((key) => subnet(h[key], h.prefixLength) !== net);
  for (const key of outside) bad(key, `${h[key]} is outside ${h.address}/${h.prefixLength}`);
  if (!outside.length && ipToNumber(h.dhcpStart) > ipToNumber(h.dhcpEnd)) bad('dhcpStart', `${h.dhcpStart} comes after dhcpEnd ${h.dhcpEnd}`);
  const self = ipToNumber(h.address);
  if (self >= ipToNumber(h.dhcpStart) && self <= ipToNumber(h.dhcpEnd))
    bad('address', `${h.address} lies inside the DHCP range ${h.dhcpStart}-${h.dhcpEnd}`);
  // The hotspot's subnet is routed to the Wi-Fi: the address camfleet reaches the Pi at must lie outside it.
  if (isIpv4(host.address) && subnet(host.address, h.prefixLength) === net)
    bad('address', `the hotspot subnet ${h.address}/${h.prefixLength} contains the Pi's own address ${host.address}: SSH would be cut off`);
  return problems;
}

/** WPA2-PSK: 8-63 printable ASCII characters, or the raw 256-bit key as 64 hex digits. */
export function isWpa2Passphrase(p: string): boolean {
  return /^[\x20-\x7e]{8,63}$/.test(p) || /^[0-9a-fA-F]{64}$/.test(p);
}

const isPort = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 65535;

/** Whether an nginx allow-list entry (`all`, an address or an IPv4 CIDR) admits an IPv4 address. */
function admits(entry: string, ip: string): boolean {
  if (entry === 'all' || entry === ip) return true;
  const [base, bits] = entry.split('/');
  if (!bits || !base || !isIpv4(base)) return false;
  return subnet(base, Number(bits)) === subnet(ip, Number(bits));
}

export function ipToNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function subnet(ip: string, prefix: number): number {
  const hostBits = 32 - Math.min(32, Math.max(0, prefix));
  return Math.floor(ipToNumber(ip) / 2 ** hostBits);
}

/**
 * Across the fleet: every address is an IP or a DNS name as resolvers read it (a name they would
 * take for a number is refused: one Pi would be two hosts), and two hosts must not share one (one
 * would be provisioned twice): addresses compare in their canonical form (case, IPv6 zeros).
 */
export function checkFleet(doc: InventoryDocument, hosts: Record<string, { address: string }>): Problem[] {
  const seen = new Map<string, { name: string; address: string }>();
  const problems: Problem[] = [];
  for (const [name, { address }] of Object.entries(hosts)) {
    const parsed = parseAddress(address);
    if (parsed.kind === 'invalid') {
      problems.push(doc.problem(['hosts', name, 'address'], parsed.fault));
      continue;
    }
    const first = seen.get(parsed.canonical);
    const spelt = first && first.address !== address ? ` (written there as ${first.address})` : '';
    if (first) problems.push(doc.problem(['hosts', name, 'address'], `address ${address} is already used by host ${first.name}${spelt}`));
    else seen.set(parsed.canonical, { name, address });
  }
  return problems;
}
