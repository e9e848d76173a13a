// The HLS request log nginx sends the streamer over loopback UDP (nginx.conf's /hls/ location:
// `access_log syslog:...,nohostname,tag=camfleet_hls camfleet_hls`), and its strict parser. One
// datagram per request: `<PRI>Mmm dd hh:mm:ss camfleet_hls: STATUS ADDRESS USER-AGENT`, the
// log_format being '$status $remote_addr $http_user_agent' with nginx's default escaping (so the
// line is printable ASCII: `"`, `\` and other bytes arrive as \xNN). Any local process can send to
// the port, so anything else is refused. Pure and dependency-free: bundled into the streamer.

/** syslog's tag for the line; nginx allows letters, digits and `_`. */
export const hlsLogTag = 'camfleet_hls';

/** The largest datagram read: nginx's line for a request with an outsize User-Agent is refused whole. */
export const hlsLogMaxBytes = 4096;

/** A User-Agent is kept to this many characters: enough to tell browsers apart, bounded per client. */
const userAgentChars = 256;

export interface HlsRequest {
  status: number;
  address: string;
  userAgent: string;
}

const line = new RegExp(`^<\\d{1,3}>[A-Z][a-z]{2} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} ${hlsLogTag}: ([1-5]\\d{2}) (\\S+) ([\\x20-\\x7e]+)$`);
const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const ipv6 = /^[0-9a-fA-F:.]{2,45}$/;

/**
 * The origin's tag and line: its HLS serves every relaying camera, so nginx names the camera the
 * request was for (from the URI: `/hls/<camera>.m3u8`, `/hls/<camera>-<n>.ts`) before the agent:
 * `STATUS ADDRESS CAMERA USER-AGENT`.
 */
export const originHlsLogTag = 'camfleet_hls_origin';

const originLine = new RegExp(`^<\\d{1,3}>[A-Z][a-z]{2} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} ${originHlsLogTag}: ([1-5]\\d{2}) (\\S+) ([a-z0-9-]+) ([\\x20-\\x7e]+)$`);

/** One datagram of the origin's log as a request for a camera, or undefined for anything else. */
export function parseOriginHlsLogLine(text: string): (HlsRequest & { camera: string }) | undefined {
  const m = originLine.exec(text);
  if (!m) return undefined;
  const [, status, address, camera, userAgent] = m as unknown as [string, string, string, string, string];
  return requestOf(status, address, userAgent, { camera });
}

/** One datagram's text as a request, or undefined for anything that is not nginx's line. */
export function parseHlsLogLine(text: string): HlsRequest | undefined {
  const m = line.exec(text);
  if (!m) return undefined;
  const [, status, address, userAgent] = m as unknown as [string, string, string, string];
  return requestOf(status, address, userAgent, {});
}

function requestOf<T extends object>(status: string, address: string, userAgent: string, extra: T): (HlsRequest & T) | undefined {
  if (!ipv4.test(address) && !(address.includes(':') && ipv6.test(address))) return undefined;
  return { status: Number(status), address, userAgent: userAgent.slice(0, userAgentChars), ...extra };
}

/**
 * A request that served the stream: the playlist or a fragment, whole, partly or as not modified.
 * nginx sends only these (nginx.conf's $camfleet_hls_served); checked again, as any local process can send.
 */
export const servedStream = (r: HlsRequest): boolean => r.status === 200 || r.status === 206 || r.status === 304;

/**
 * Who counts as one viewer: the address and the User-Agent. Two phones behind one NAT (a router
 * between the hotspot and them, a VPN) share an address but rarely a browser string, so they count
 * twice; one browser's tabs count once; two identical phones behind one NAT count once (undercount
 * rather than guess). nginx sends `-` for a missing User-Agent.
 */
export const hlsClient = (r: HlsRequest): string => `${r.address} ${r.userAgent}`;
