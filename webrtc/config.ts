// The WebRTC service's settings, as render writes them to /etc/camfleet/webrtc.json.
export interface WebrtcConfig {
  /** The Pi's own stream, read back from nginx-rtmp over loopback. */
  rtmpUrl: string;
  /** Where nginx proxies the page's WHEP requests to (loopback only). */
  listen: { host: string; port: number };
  /** UDP ports for the viewers' media (one per viewer). */
  icePorts: [number, number];
  /** H.264 profile-level-id the encoder produces, offered in SDP (e.g. 42e01f). */
  profileLevelId: string;
  /** At most this many viewers at once; more are refused with 503 and the page falls back to HLS. */
  maxViewers: number;
}

export function parseConfig(text: string): WebrtcConfig {
  const c = JSON.parse(text) as Partial<WebrtcConfig>;
  const ok =
    typeof c.rtmpUrl === 'string' &&
    typeof c.listen?.host === 'string' &&
    Number.isInteger(c.listen?.port) &&
    Array.isArray(c.icePorts) &&
    c.icePorts.length === 2 &&
    typeof c.profileLevelId === 'string' &&
    /^[0-9a-f]{6}$/.test(c.profileLevelId) &&
    Number.isInteger(c.maxViewers);
  if (!ok) throw new Error('webrtc config: expected rtmpUrl, listen {host, port}, icePorts [from, to], profileLevelId, maxViewers');
  return c as WebrtcConfig;
}
