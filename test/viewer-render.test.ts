// Rendering the viewer: what nginx gets, what the page carries, and what goes when it is off.
import { describe, expect, it } from 'vitest';
import { originExporterFiles } from '../provision/core/parts/origin-exporter.ts';
import { managedMarker } from '../provision/core/types.ts';
import { paths } from '../provision/core/render/paths.ts';
import { jsonInHtml } from '../provision/core/render/formats.ts';
import { viewerPage } from '../provision/core/render/viewer.ts';
import { buildViewerAssets } from '../viewer/build.ts';
import { render, resolve } from './support/fleet.ts';

const host = (extra = '') => `hosts:\n  pi1: { address: 10.0.0.1, camera: { fps: 25, gop: 50 }, access: { play: [10.42.0.0/24] }${extra} }\n`;
const nginxConf = (yaml: string) => render(yaml, { KEY: 'secret-stream-key' })[0]!.files.find((f) => f.path === paths.nginxConf)!.content;

describe('viewer render', () => {
  it('nginx-rtmp writes HLS in fragments of one keyframe interval, and a server on the viewer port applies the play allow-list', () => {
    const conf = nginxConf(host());
    expect(conf).toContain(`hls_path ${paths.hlsDir};`);
    // gop 50 at 25 fps: a keyframe every 2 s, so 2 s fragments and a playlist of four.
    expect(conf).toContain('hls_fragment 2000ms;');
    expect(conf).toContain('hls_playlist_length 8000ms;');
    const server = conf.slice(conf.indexOf('listen 80 default_server;'));
    expect(server).toMatch(/^listen 80 default_server;\s+allow 10\.42\.0\.0\/24;\s+deny all;/);
    expect(server).toContain(`alias ${paths.hlsDir}/;`);
    expect(conf).not.toContain('sites-enabled');
  });

  it('off: no HLS, no server, the page files and folders listed for removal, Debian sites back in', () => {
    const [state] = render(host(', viewer: { enabled: false }'));
    expect(state!.absent.map((a) => a.path)).toEqual([paths.viewerPage, paths.viewerApp, paths.viewerHlsLibrary, paths.webrtcUnit, paths.webrtcConfig, paths.webrtcService, paths.recorderUnit, paths.recorderScript, paths.recordingsPage, paths.ingestScript, paths.ingestUnit, paths.ingestsConf, ...originExporterFiles]); // recording and ingests are off too (their default), and an origin's exporter
    // ... and the folders: the HLS fragments nginx-rtmp wrote with theirs, the page's once empty.
    expect(state!.absentDirs).toEqual([{ path: paths.hlsDir, files: ['*.m3u8', '*.ts'] }, { path: paths.viewerRoot, files: [] }]);
    expect(render(host())[0]!.absentDirs).toEqual([]);
    expect(render(host(', viewer: { paths: [webrtc] }'))[0]!.absentDirs).toEqual([{ path: paths.hlsDir, files: ['*.m3u8', '*.ts'] }]);
    expect(state!.units.find((u) => u.name === 'camfleet-webrtc.service')).toMatchObject({ enabled: false, active: false });
    expect(state!.files.map((f) => f.path)).not.toContain(paths.viewerPage);
    expect(state!.listen).not.toContain(80);
    const conf = state!.files.find((f) => f.path === paths.nginxConf)!.content;
    expect(conf).not.toMatch(/hls|listen 80\b/);
    expect(conf).toContain('include /etc/nginx/sites-enabled/*;');
  });

  it('the page names its Pi and carries its settings as JSON that cannot close the script element', () => {
    const [h] = resolve(host());
    const page = viewerPage(h!, '<title>{{title}}</title><script type="application/json">{{config}}</script>');
    expect(page).toContain('<title>pi1 · camfleet</title>');
    const json = /<script type="application\/json">(.*)<\/script>/.exec(page)![1]!;
    expect(JSON.parse(json)).toEqual({ name: 'pi1', paths: ['webrtc', 'hls'], whep: '/whep', hls: '/hls/cam.m3u8', hlsLibrary: '/hls.min.js', rtmp: { port: 1935, application: 'live', key: 'cam' } });
    expect(jsonInHtml({ s: '</script><!--&' })).toBe('{"s":"\\u003c/script\\u003e\\u003c!--\\u0026"}');
  });

  it('WebRTC: the service with its config, no stream key anywhere near it (it takes the streamer\'s RTP), and nginx proxying WHEP', () => {
    const [state] = render(host(', stream: { key: { env: KEY } }'), { KEY: 'secret-stream-key' });
    const config = state!.files.find((f) => f.path === paths.webrtcConfig)!;
    // No key in it: the config is diffed whole.
    expect(config).toMatchObject({ mode: 0o644 });
    expect(config.sensitive).toBeFalsy();
    expect(config.content).not.toContain('secret-stream-key');
    // 25 fps at 1280x720: level 3.1, Constrained Baseline.
    // The marker lets viewer off remove it: only files carrying it are ever removed.
    expect(config.content.split('\n')[1]).toContain('Managed by camfleet');
    expect(JSON.parse(config.content)).toEqual({ comment: 'Managed by camfleet. Local edits are replaced on the next provision.', rtpPort: 8890, listen: { host: '127.0.0.1', port: 8889 }, icePorts: [50000, 50100], profileLevelId: '42e01f', maxViewers: 20 });
    const unit = state!.files.find((f) => f.path === paths.webrtcUnit)!.content;
    expect(unit).not.toContain('stream-key');
    expect(unit).toMatch(/^ExecStart=.* --config \$\{CREDENTIALS_DIRECTORY\}\/webrtc\.json$/m);
    // A new key restarts the streamer alone: the service reads nothing under it.
    expect(state!.units.find((u) => u.name === 'camfleet-webrtc.service')!.restartOn.sort()).toEqual([paths.webrtcConfig, paths.webrtcService, paths.webrtcUnit].sort());
    const conf = nginxConf(host());
    expect(conf).toContain('location = /whep {\n            proxy_pass http://127.0.0.1:8889;');
    // Nothing plays the stream over loopback for WebRTC: the hotspot's viewers alone, as access.play says.
    expect(conf).toMatch(/deny publish all;\s+allow play 10\.42\.0\.0\/24;\s+deny play all;/);
    // The statistics page is read over loopback (metrics), whatever access.stat says.
    const statFromLan = nginxConf(`hosts:\n  pi1: { address: 10.0.0.1, access: { stat: [10.0.0.0/8] } }\n`);
    expect(statFromLan).toMatch(/rtmp_stat all;\s+(#.*\s+)*allow 127\.0\.0\.1;\s+allow 10\.0\.0\.0\/8;\s+deny all;/);
    // HLS only: no service, no proxy, RTMP play as the inventory says.
    const hlsOnly = render(host(', viewer: { paths: [hls] }'))[0]!;
    expect(hlsOnly.absent.map((a) => a.path)).toContain(paths.webrtcService);
    expect(nginxConf(host(', viewer: { paths: [hls] }'))).not.toMatch(/whep|allow play 127|camfleet-webrtc/);
  });

  it('a secret stream key keeps the page out of diffs', () => {
    const [state] = render(host(', stream: { key: { env: KEY } }'), { KEY: 'secret-stream-key' });
    expect(state!.files.find((f) => f.path === paths.viewerPage)!.sensitive).toBe(true);
  });

  it("the real page files carry camfleet's marker where observe and remove look for it", async () => {
    const assets = await buildViewerAssets();
    for (const content of [assets.page, assets.app, assets.hlsLibrary]) {
      expect(content.split('\n').slice(0, 10).join('\n')).toContain(managedMarker);
      expect(Buffer.from(content).subarray(0, 512).toString()).toContain(managedMarker);
    }
    // Nothing on the page may come from the internet: a hotspot has none.
    expect(assets.page + assets.app).not.toMatch(/(src|href)=["']?https?:/);
    expect(assets.page).toContain('<script src="app.js">');
  });
});
