// QR codes for the terminal: the Pi's Wi-Fi join code and its viewer page, so a phone goes from
// camera to watching with two scans. Pure: text in, text out.
import { renderUnicodeCompact } from 'uqr';
import type { ResolvedHost } from '../core/types.ts';

/** The Wi-Fi join payload phones read (ZXing's WIFI: format); \ ; , : " are escaped with a backslash. */
export function wifiJoinText(ssid: string, passphrase: string): string {
  const esc = (s: string) => s.replace(/([\\;,:"])/g, '\\$1');
  return `WIFI:T:WPA;S:${esc(ssid)};P:${esc(passphrase)};;`;
}

/** A QR code drawn with half-block characters (two modules per character row), quiet zone included. */
export function terminalQr(text: string): string {
  return renderUnicodeCompact(text, { border: 2 });
}

/** The QR codes for one Pi: its hotspot's join code (holding the passphrase: only on request) and its page. */
export function hostQrCodes(host: ResolvedHost, pageUrl: string | undefined): string[] {
  const out: string[] = [];
  if (host.hotspot.mode !== 'none' && host.hotspot.ssid)
    out.push(`${host.name}: join Wi-Fi ${JSON.stringify(host.hotspot.ssid)} (the code holds the passphrase)`, terminalQr(wifiJoinText(host.hotspot.ssid, host.hotspot.passphrase)));
  if (pageUrl) out.push(`${host.name}: then open ${pageUrl}`, terminalQr(pageUrl));
  else out.push(`${host.name}: the viewer page is off (viewer.enabled: false)`);
  return out;
}
