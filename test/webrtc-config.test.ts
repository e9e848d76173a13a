// camfleet-webrtc's settings: webrtc.json holds the server without the key; the key comes from its
// own file and is checked the way the streamer checks it, never quoted back.
import { describe, expect, it } from 'vitest';
import { parseConfig, streamUrl } from '../webrtc/config.ts';

const json = (server: string) => JSON.stringify({ server, stat: 'http://127.0.0.1:8080/stat', listen: { host: '127.0.0.1', port: 8889 }, icePorts: [50000, 50100], profileLevelId: '42e01f', maxViewers: 20 });

describe('webrtc config', () => {
  it('reads the stream at the server under the key from the key file (camfleet writes its marker first)', () => {
    const config = parseConfig(json('rtmp://127.0.0.1:1935/live'));
    expect(streamUrl(config, '# Managed by camfleet. Local edits are replaced on the next provision.\nsecret-stream-key\n', '/run/credentials/stream-key')).toBe('rtmp://127.0.0.1:1935/live/secret-stream-key');
  });

  it('refuses a server that carries a key, and a key that could break the URL, without quoting it', () => {
    expect(() => parseConfig(json('rtmp://127.0.0.1:1935/live/cam'))).toThrow(/server \(rtmp:\/\/host:port\/application, no key\)/);
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
});
