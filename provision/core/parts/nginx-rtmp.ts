// nginx with the RTMP module: the camera's stream in (RTMP), players, HLS and the viewer's pages
// out. On an origin it is the origin's nginx (templates/nginx-origin.conf.hbs), same unit and ports.
import { paths, units } from '../render/paths.ts';
import { onUnit, type Part } from './part.ts';

export const nginxRtmp: Part = {
  name: 'nginx-rtmp',
  packages: ['nginx', 'libnginx-mod-rtmp'],
  always: true,
  // render checks nginx.conf with nginx -t, which loads the RTMP module.
  checkedWith: ['nginx', 'libnginx-mod-rtmp'],
  enabled: () => true,
  on: ({ host, template }) => ({
    files: [template(paths.nginxConf, host.origin ? 'nginx-origin.conf' : 'nginx.conf', 'nginx', { validate: 'nginx' })],
    // A changed config restarts nginx rather than reloading it: after a reload the camera's RTMP
    // stream stays on nginx-rtmp's old worker, which never exits while it is connected, so new
    // players, HLS and the relay would see nothing until the streamer happened to reconnect. A
    // restart drops it and the streamer is back within seconds.
    units: [onUnit(units.nginx, [paths.nginxConf])],
    listen: [host.stream.port, host.stream.statPort],
  }),
  off: () => ({}),
};

/**
 * Debian's nginx.service never restarts a dead nginx; this drop-in makes it (Restart=always). It
 * only changes what systemd does when nginx dies: daemon-reload is enough, no restart.
 */
export const nginxRestart: Part = {
  name: 'nginx-restart',
  packages: [],
  enabled: () => true,
  on: ({ template }) => ({ files: [template(paths.nginxDropIn, 'nginx-restart.conf', 'systemd')] }),
  off: () => ({}),
};
