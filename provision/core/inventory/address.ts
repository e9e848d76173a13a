// Addresses read the way the programs that use them read them. The URL host parser (WHATWG, built
// into Node: no import, no I/O) reads IPv4 as inet_aton does, and so as ssh and resolvers do --
// 0xc0.0.2.1, 3221225985 and 192.0.2.01 are all 192.0.2.1 -- reads IPv6 by RFC 4291, and writes
// each in one canonical form, so two spellings of one address compare equal.

export type Address = { kind: 'ipv4' | 'ipv6' | 'name'; canonical: string } | { kind: 'invalid'; fault: string };

const ipv4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

/** Four numbers 0-255 without leading zeros: the one spelling of an IPv4 address camfleet takes. */
export function isIpv4(text: string): boolean {
  return ipv4.test(text);
}

/** An IP address or a DNS name, as written in the inventory. */
export function parseAddress(text: string): Address {
  if (text.includes(':')) {
    const host = urlHost(`[${text}]`);
    return host === undefined ? { kind: 'invalid', fault: 'is not an IPv6 address' } : { kind: 'ipv6', canonical: host.slice(1, -1) };
  }
  // Anything else would end or change the URL's host part.
  const host = /^[A-Za-z0-9.-]+$/.test(text) ? urlHost(text) : undefined;
  // The parser refuses a name whose last label is a number (an IPv4 address that is none) and bad IDNA.
  if (host === undefined) return { kind: 'invalid', fault: /(^|\.)(\d+|0x[0-9a-f]*)\.?$/i.test(text) ? `is not an IPv4 address: ${ipv4Form}` : 'is not a DNS name' };
  if (!isIpv4(host)) return { kind: 'name', canonical: host };
  if (host === text) return { kind: 'ipv4', canonical: host };
  // A name that resolvers take for a number: camfleet would see two hosts where there is one Pi.
  return { kind: 'invalid', fault: `is not an IPv4 address as written: resolvers read it as ${host} (0x is hex, a leading 0 octal); write ${ipv4Form}` };
}

const ipv4Form = 'four numbers 0-255 without leading zeros, e.g. 192.168.1.21';

function urlHost(host: string): string | undefined {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return undefined;
  }
}

/** What an allow-list entry must be, as the schema's pattern and the rule below both say it. */
export const allowEntryForm = 'must be all, an IP address or a CIDR such as 192.168.1.0/24';

/**
 * What is wrong with an nginx `allow`/`deny` entry: `all`, an IP address or a CIDR. nginx reads
 * IPv4 in decimal only, so it is held to the one spelling resolvers agree on too.
 */
export function allowEntryFault(entry: string): string | undefined {
  if (entry === 'all') return undefined;
  const [base = '', bits, ...rest] = entry.split('/');
  if (rest.length) return 'has more than one /';
  const address = parseAddress(base);
  if (address.kind === 'invalid') return `${base} ${address.fault}`;
  if (address.kind === 'name') return `${base} is a name: nginx allows addresses, not names`;
  const max = address.kind === 'ipv4' ? 32 : 128;
  if (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max)) return `/${bits} is not a prefix length of ${address.kind === 'ipv4' ? 'IPv4' : 'IPv6'} (0-${max})`;
  return undefined;
}
