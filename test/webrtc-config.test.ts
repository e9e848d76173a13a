// camfleet-webrtc's settings: webrtc.json holds the server without the key; the key comes from its
// own file and is checked the way the streamer checks it, never quoted back.
import { describe, expect, it } from 'vitest';
import { cameraLimits } from '../contract/camera.ts';
import { gopCacheBytes } from '../contract/webrtc-config.ts';
import { webrtcConfig } from '../provision/core/parts/webrtc.ts';
import { parseConfig, streamUrl } from '../webrtc/config.ts';
import { resolve } from './support/fleet.ts';

const fields = { stat: 'http://127.0.0.1:8080/stat', listen: { host: '127.0.0.1', port: 8889 }, icePorts: [50000, 50100], profileLevelId: '42e01f', maxViewers: 20 };
const json = (server: string, more: object = {}) => JSON.stringify({ server, ...fields, ...more });

describe('webrtc config', () => {
  it('reads the stream at the server under the key from the key file (camfleet writes its marker first)', () => {
    const config = parseConfig(json('rtmp://127.0.0.1:1935/live'));
    expect(streamUrl(config, '# Managed by camfleet. Local edits are replaced on the next provision.\nsecret-stream-key\n', '/run/credentials/stream-key')).toBe('rtmp://127.0.0.1:1935/live/secret-stream-key');
  });

  it('refuses a server that carries a key, and a key that could break the URL, without quoting it', () => {
    expect(() => parseConfig(json('rtmp://127.0.0.1:1935/live/cam'))).toThrow(/server must be rtmp:\/\/host:port\/application, no key/);
    const config = parseConfig(json('rtmp://127.0.0.1:1935/live'));
    let message = '';
    try {
      streamUrl(config, 'bad/key?x=1\n', '/run/credentials/stream-key');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^\/run\/credentials\/stream-key: a stream key is 1-256 letters/);
    expect(message).not.toContain('bad/key');
  });

  it('is checked by one function on both sides: what render writes, the service reads; a field out of the contract is refused, named', () => {
    const [host] = resolve('hosts:\n  pi1: { address: 192.0.2.10, camera: { bitrate: 8M, fps: 30, gop: 60 } }\n');
    const written = webrtcConfig(host!);
    expect(parseConfig(JSON.stringify(written))).toEqual(written);
    expect(written).toMatchObject({ server: 'rtmp://127.0.0.1:1935/live', profileLevelId: '42e01f' });
    expect(() => parseConfig(json('rtmp://127.0.0.1:1935/live', { maxViewers: 0 }), '/etc/camfleet/webrtc.json')).toThrow(/^\/etc\/camfleet\/webrtc.json: maxViewers must be a whole number, 1 or more$/);
    expect(() => parseConfig(json('rtmp://127.0.0.1:1935/live', { extra: 1 }))).toThrow(/unknown field extra/);
    expect(() => parseConfig('{', 'w.json')).toThrow(/^w.json: not JSON/);
  });

  it('sizes its GOP cache from the camera limits (one source): a 2 s GOP at the highest bitrate the contract allows fits', () => {
    // The old fixed 4 MiB, written for "8 Mbit/s, the highest bitrate", dropped a 2 s GOP at the 50M the contract allows.
    expect(gopCacheBytes).toBeGreaterThanOrEqual((cameraLimits.bitrate.max / 8) * 2);
  });
});
