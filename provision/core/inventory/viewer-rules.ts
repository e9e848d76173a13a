// The viewer's HTTP port shares the Pi with nginx's other listeners and sshd: two services on one
// port pass `nginx -t` and then fail to bind on the Pi, so the clash is refused here, at the line
// that set the viewer's port, naming where the other port was set.
import type { Problem } from '../errors.ts';
import type { ResolvedHost } from '../types.ts';
import type { InventoryDocument, YamlPath } from './document.ts';
import { webrtcPorts } from '../render/viewer.ts';

/** Where the merged setting `section.key` was set; the host itself for a built-in default. */
type At = (key: string) => YamlPath;

export function checkViewer(doc: InventoryDocument, host: ResolvedHost, at: At): Problem[] {
  if (!host.viewer.enabled) return [];
  const taken = [
    { key: 'stream.port', port: host.stream.port, what: 'the RTMP port' },
    { key: 'stream.statPort', port: host.stream.statPort, what: 'the statistics port' },
    { key: 'ssh.port', port: host.ssh.port, what: "sshd's port" },
    ...(host.viewer.paths.includes('webrtc') ? [{ key: 'viewer.paths', port: webrtcPorts.whep, what: 'the WebRTC service\'s own port' }] : []),
  ];
  return taken
    .filter((other) => other.port === host.viewer.port)
    .map((other) => {
      const origin = at(other.key);
      // A setting from the file ends its path with its own key; a built-in default has no line.
      const fromFile = origin.at(-1) === other.key.split('.')[1];
      const { file, line, col } = doc.problem(origin, '');
      const where = fromFile ? `set at ${file}:${line}:${col}` : 'built-in default';
      return doc.problem(at('viewer.port'), `port ${host.viewer.port} is already ${other.what} (${other.key}, ${where}): give the viewer another port`);
    });
}
