// The terminal QR codes of `status --qr`: the Wi-Fi join code and the page's URL.
import { describe, expect, it } from 'vitest';
import { encode } from 'uqr';
import { hostQrCodes, terminalQr, wifiJoinText } from '../provision/cli/qr.ts';
import { viewerPageUrl } from '../provision/core/render/viewer.ts';
import { resolve } from './support/fleet.ts';

describe('status --qr', () => {
  it("writes the join code phones read, escaping the format's own characters", () => {
    expect(wifiJoinText('camfleet-pi1', 'correct horse')).toBe('WIFI:T:WPA;S:camfleet-pi1;P:correct horse;;');
    expect(wifiJoinText('a;b', 'p:"q\\,')).toBe('WIFI:T:WPA;S:a\\;b;P:p\\:\\"q\\\\\\,;;');
  });

  it('draws each module of the code: two rows per line of half blocks, with a quiet zone', () => {
    const url = 'http://10.42.0.1/';
    const lines = terminalQr(url).split('\n').filter(Boolean);
    const size = encode(url, { border: 2 }).size;
    expect(lines).toHaveLength(Math.ceil(size / 2));
    expect(lines.every((l) => [...l].length === size)).toBe(true);
  });

  it('the page URL is the hotspot address phones use; the passphrase only inside the join code', () => {
    const [host] = resolve(
      'hosts:\n  pi1: { address: 192.168.1.21, hotspot: { mode: networkmanager, ssid: cam1, passphrase: twelve-chars!, country: GB }, viewer: { port: 8000 } }\n',
    );
    expect(viewerPageUrl(host!)).toBe('http://10.42.0.1:8000/');
    const out = hostQrCodes(host!, viewerPageUrl(host!)).join('\n');
    expect(out).toContain('then open http://10.42.0.1:8000/');
    expect(out).not.toContain('twelve-chars!');
  });
});
