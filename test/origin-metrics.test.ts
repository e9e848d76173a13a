// What an origin exports (contract/origin-metrics.ts) from nginx-rtmp's statistics as they come:
// the XML here is what nginx-rtmp 1.1.4 answered with one camera publishing and one player.
import { describe, expect, it } from 'vitest';
import { cameraMetrics } from '../contract/camera-metrics.ts';
import { originMetrics, originSnapshot, validateOriginExporterConfig } from '../contract/origin-metrics.ts';
import { parseOriginHlsLogLine } from '../contract/hls-log.ts';
import { exposition } from '../contract/prometheus.ts';
import { parseRtmpStat } from '../contract/rtmp-stat.ts';
import { promtoolCheckMetrics } from './support/promtool.ts';

const stat = `<?xml version="1.0" encoding="utf-8" ?>
<rtmp><nginx_version>1.22.1</nginx_version><uptime>40</uptime><server><application><name>live</name><live>
<stream><name>pi1</name><time>30000</time><bw_in>816000</bw_in><bytes_in>3100000</bytes_in><bw_out>800000</bw_out><bytes_out>2900000</bytes_out>
<client><id>1</id><address>10.0.0.1</address><time>29000</time><publishing/><active/></client>
<client><id>2</id><address>10.0.0.50</address><time>12000</time></client>
<meta><video><width>640</width><height>360</height><frame_rate>15</frame_rate><codec>H264</codec></video><audio></audio></meta>
<nclients>2</nclients><publishing/><active/></stream>
<stream><name>stranger</name><time>1000</time><bw_in>0</bw_in><bytes_in>10</bytes_in><bw_out>0</bw_out><bytes_out>0</bytes_out><nclients>1</nclients><publishing/><active/></stream>
</live></application></server></rtmp>`;

const config = { application: 'live', cameras: ['pi1', 'pi2'] };
const lines = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'));

describe("an origin's metrics", () => {
  it('each relaying camera: up or not, its declared fps, bitrate, relay age, players and bytes; a stream that is no camera of the fleet is left out', () => {
    const text = exposition(originMetrics(originSnapshot(config, parseRtmpStat(stat))));
    expect(promtoolCheckMetrics(text)).toEqual({ status: 0, output: '' });
    expect(lines(text)).toEqual([
      'camfleet_origin_exporter_up 1',
      'camfleet_origin_stat_up 1',
      'camfleet_origin_stream_up{camera="pi1"} 1',
      'camfleet_origin_stream_up{camera="pi2"} 0',
      'camfleet_origin_stream_fps{camera="pi1"} 15',
      'camfleet_origin_stream_bitrate_bytes_per_second{camera="pi1"} 102000',
      'camfleet_origin_stream_publisher_seconds{camera="pi1"} 29',
      'camfleet_origin_viewers{camera="pi1",path="rtmp"} 1',
      'camfleet_origin_viewers{camera="pi2",path="rtmp"} 0',
      'camfleet_origin_rtmp_received_bytes_total{camera="pi1"} 3100000',
      'camfleet_origin_rtmp_sent_bytes_total{camera="pi1"} 2900000',
    ]);
  });

  it('HLS viewers per camera, when counted, beside the RTMP players', () => {
    const text = exposition(originMetrics(originSnapshot(config, parseRtmpStat(stat), (camera) => (camera === 'pi1' ? 3 : 0))));
    expect(promtoolCheckMetrics(text)).toEqual({ status: 0, output: '' });
    expect(lines(text).filter((l) => l.startsWith('camfleet_origin_viewers'))).toEqual([
      'camfleet_origin_viewers{camera="pi1",path="rtmp"} 1',
      'camfleet_origin_viewers{camera="pi2",path="rtmp"} 0',
      'camfleet_origin_viewers{camera="pi1",path="hls"} 3',
      'camfleet_origin_viewers{camera="pi2",path="hls"} 0',
    ]);
  });

  it("the origin's HLS log line names the camera (nginx's map from the URI); anything else is refused", () => {
    // As nginx 1.22 sends it (log_format camfleet_hls_origin, syslog nohostname).
    const line = '<190>Dec  3 12:11:44 camfleet_hls_origin: 200 10.213.4.1 lab-1 Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120';
    expect(parseOriginHlsLogLine(line)).toEqual({ status: 200, address: '10.213.4.1', camera: 'lab-1', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120' });
    for (const bad of [
      line.replace('camfleet_hls_origin', 'camfleet_hls'),
      line.replace(' lab-1 ', ' Lab_1 '),
      line.replace('10.213.4.1', '10.213.4.256'),
      line.replace(' 200 ', ' 20 '),
      `${line}\n${line}`,
      line.replace('HeadlessChrome', 'Headless\u00e9'),
    ])
      expect(parseOriginHlsLogLine(bad), bad).toBeUndefined();
  });

  it("the origin's own disk, uptime and config version, under the names a camera Pi uses (one disk alert, one version panel cover both)", () => {
    const snapshot = originSnapshot(config, undefined, undefined, { diskFreeBytes: 5e9, diskSizeBytes: 3.2e10, hostUptimeSeconds: 86400 });
    const text = exposition(originMetrics({ ...snapshot, configVersion: '0123456789ab' }));
    expect(promtoolCheckMetrics(text)).toEqual({ status: 0, output: '' });
    expect(lines(text)).toEqual([
      'camfleet_origin_exporter_up 1',
      'camfleet_origin_stat_up 0',
      'camfleet_config_info{version="0123456789ab"} 1',
      'camfleet_disk_free_bytes 5000000000',
      'camfleet_disk_size_bytes 32000000000',
      'camfleet_host_uptime_seconds 86400',
    ]);
    const camera = lines(exposition(cameraMetrics({ streamerUp: true, diskFreeBytes: 5e9, configVersion: '0123456789ab' })));
    expect(camera).toContain('camfleet_disk_free_bytes 5000000000');
    expect(camera).toContain('camfleet_config_info{version="0123456789ab"} 1');
  });

  it("nginx's statistics not answering: said as stat_up 0, and nothing made up about the streams", () => {
    expect(lines(exposition(originMetrics(originSnapshot(config, undefined))))).toEqual(['camfleet_origin_exporter_up 1', 'camfleet_origin_stat_up 0']);
  });

  it('refuses a config that is not its own, naming each problem', () => {
    expect(() => validateOriginExporterConfig({ socket: 'rel.sock', statUrl: 'http://10.0.0.9:8080/stat', application: 'live', cameras: ['a', 3], hlsLog: { port: 0, windowMs: 5 }, versionFile: 'config-version' }, 'x.json')).toThrow(
      /^x\.json: cameras must be a list of names, got \["a",3\]; hlsLog must be \{ port: 1-65535, windowMs: 1000 or more \}, got \{"port":0,"windowMs":5\}; versionFile must be an absolute path, got "config-version"; socket must be an absolute path, got "rel\.sock"; statUrl must be on this host's loopback/,
    );
    const ok = { socket: '/run/x.sock', statUrl: 'http://127.0.0.1:8080/stat', application: 'live', cameras: ['a'], hlsLog: { port: 8895, windowMs: 10_000 }, versionFile: '/etc/camfleet/config-version' };
    expect(validateOriginExporterConfig(ok, 'x.json')).toEqual(ok);
  });
});
