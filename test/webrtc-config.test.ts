// camfleet-webrtc's settings: where the streamer's RTP arrives, where WHEP listens, the viewers'
// ports; no stream key anywhere (the service needs none).
import { describe, expect, it } from 'vitest';
import { cameraLimits } from '../contract/camera.ts';
import { gopCacheBytes } from '../contract/webrtc-config.ts';
import { webrtcConfig } from '../provision/core/parts/webrtc.ts';
import { paths as filePaths } from '../provision/core/render/paths.ts';
import { parseConfig } from '../webrtc/config.ts';
import { render, resolve } from './support/fleet.ts';

const fields = { rtpPort: 8890, listen: { host: '127.0.0.1', port: 8889 }, icePorts: [50000, 50100], profileLevelId: '42e01f', maxViewers: 20 };
const json = (more: object = {}) => JSON.stringify({ ...fields, ...more });

describe('webrtc config', () => {
  it('is checked by one function on both sides: what render writes, the service reads; a field out of the contract is refused, named', () => {
    const [host] = resolve('hosts:\n  pi1: { address: 192.0.2.10, camera: { bitrate: 8M, fps: 30, gop: 60 } }\n');
    const written = webrtcConfig(host!);
    expect(parseConfig(JSON.stringify(written))).toEqual(written);
    expect(written).toMatchObject({ profileLevelId: '42e01f' });
    expect(() => parseConfig(json({ maxViewers: 0 }), '/etc/camfleet/webrtc.json')).toThrow(/^\/etc\/camfleet\/webrtc.json: maxViewers must be a whole number, 1 or more$/);
    expect(() => parseConfig(json({ rtpPort: 70000 }))).toThrow(/rtpPort must be a UDP port/);
    expect(() => parseConfig(json({ extra: 1 }))).toThrow(/unknown field extra/);
    // webrtc.json of an older camfleet (it read the stream back from nginx-rtmp): refused, named, until provisioned again.
    expect(() => parseConfig(json({ server: 'rtmp://127.0.0.1:1935/live' }))).toThrow(/unknown field server/);
    expect(() => parseConfig('{', 'w.json')).toThrow(/^w.json: not JSON/);
  });

  it("listens for RTP where the streamer sends it: streamer.json's rtpPort is webrtc.json's, also with WebRTC off", () => {
    for (const paths of ['[webrtc, hls]', '[hls]']) {
      const yaml = `hosts:\n  pi1: { address: 192.0.2.10, viewer: { paths: ${paths} } }\n`;
      const [desired] = render(yaml);
      const streamerJson = JSON.parse(desired!.files.find((f) => f.path === filePaths.streamerConfig)!.content) as { rtpPort: number };
      expect(streamerJson.rtpPort).toBe(webrtcConfig(resolve(yaml)[0]!).rtpPort);
    }
  });

  it('sizes its GOP cache from the camera limits (one source): a 2 s GOP at the highest bitrate the contract allows fits', () => {
    // The old fixed 4 MiB, written for "8 Mbit/s, the highest bitrate", dropped a 2 s GOP at the 50M the contract allows.
    expect(gopCacheBytes).toBeGreaterThanOrEqual((cameraLimits.bitrate.max / 8) * 2);
  });
});
