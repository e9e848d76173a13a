// `npm run wall`: the fleet wall for an operator without an origin (or who wants it on their own
// machine). A small HTTP server on loopback serves the wall page and passes each camera's HLS
// through from where it is served: the origin for a Pi that relays, the Pi itself otherwise. The
// browser then talks to one server only (no cross-origin requests to every Pi).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadSelected, parse, reportError, selectionOptions } from '../provision/cli/common.ts';
import { exitCodes } from '../provision/cli/exit-codes.ts';
import { UsageError } from '../provision/core/errors.ts';
import { fillPage, httpUrl } from '../provision/core/render/origin.ts';
import type { ResolvedHost } from '../provision/core/types.ts';
import { buildViewerAssets } from '../viewer/build.ts';
import { buildWallAssets } from '../wall/build.ts';
import type { WallConfig } from '../contract/pages.ts';

export const wallUsage = `Usage: npm run wall -- (--host NAME | --group NAME | --all) [-i FILE] [--port 8090] [--direct]

Serves the fleet wall on this machine at http://127.0.0.1:PORT/: every selected camera live, with its
name and state. Each camera plays from its origin when it relays (--direct: from the Pi itself).
Origins in the selection are left out (they are not cameras). Stop it with Ctrl-C.`;

/** Where the wall fetches one camera's HLS: a base URL and the playlist's file name there. */
export interface WallSource {
  name: string;
  base: string;
  playlist: string;
  page: string;
  /** The Pi's recordings page, when it records (footage stays on the Pi, relaying or not). */
  recordings?: string;
}

export function wallSources(hosts: readonly ResolvedHost[], direct = false): WallSource[] {
  const sources: WallSource[] = [];
  for (const h of hosts) {
    if (h.origin) continue;
    const relay = !direct && h.relay?.viewerPort !== undefined ? h.relay : undefined;
    const pi = httpUrl(h.address, h.viewer.port);
    const recordings = h.recording.enabled && h.viewer.enabled ? { recordings: `${pi}recordings.html` } : {};
    if (relay) {
      const origin = httpUrl(relay.address, relay.viewerPort!);
      sources.push({ name: h.name, base: `${origin}hls/`, playlist: `${relay.stream}.m3u8`, page: `${origin}${relay.stream}/`, ...recordings });
    } else if (h.viewer.enabled && h.viewer.paths.includes('hls')) {
      sources.push({ name: h.name, base: `${pi}hls/`, playlist: `${h.stream.key}.m3u8`, page: pi, ...recordings });
    }
  }
  return sources;
}

/** A playlist or fragment name as nginx-rtmp writes them; anything else is not passed through. */
const hlsFile = /^[A-Za-z0-9_-]+\.(m3u8|ts)$/;

export async function startWallServer(sources: WallSource[], port: number, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
  const [wall, viewer] = await Promise.all([buildWallAssets(), buildViewerAssets()]);
  const config: WallConfig = {
    title: 'camfleet wall',
    hlsLibrary: '/hls.min.js',
    cameras: sources.map((s) => ({ name: s.name, hls: `/cameras/${s.name}/${s.playlist}`, page: s.page, ...(s.recordings ? { recordings: s.recordings } : {}) })),
  };
  const page = fillPage(wall.page, config.title, config);
  const byName = new Map(sources.map((s) => [s.name, s]));

  const send = (res: ServerResponse, status: number, type: string, body: string | Uint8Array) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache' });
    res.end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://wall').pathname;
    if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', page);
    if (path === '/wall.js') return send(res, 200, 'text/javascript', wall.app);
    if (path === '/hls.min.js') return send(res, 200, 'text/javascript', viewer.hlsLibrary);
    const m = /^\/cameras\/([a-z0-9-]+)\/([^/]+)$/.exec(path);
    const source = m && byName.get(m[1]!);
    if (!source || !hlsFile.test(m![2]!)) return send(res, 404, 'text/plain', 'not found\n');
    try {
      const upstream = await fetch(source.base + m![2]!, { signal: AbortSignal.timeout(5000) });
      const type = m![2]!.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t';
      send(res, upstream.status, upstream.ok ? type : 'text/plain', new Uint8Array(await upstream.arrayBuffer()));
    } catch (e) {
      send(res, 502, 'text/plain', `${source.name}: ${(e as Error).message}\n`);
    }
  };
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return { server, url: `http://${host}:${(server.address() as AddressInfo).port}/` };
}

export async function runWallCli(args: string[]): Promise<number> {
  const { values } = parse(args, { ...selectionOptions, port: { type: 'string' }, direct: { type: 'boolean' } });
  if (values.help) return console.log(wallUsage), exitCodes.ok;
  const port = Number(values.port ?? 8090);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a TCP port (0-65535), got ${JSON.stringify(values.port)}`);
  const inventory = await loadSelected(values);
  const sources = wallSources(inventory.hosts, values.direct);
  if (!sources.length) throw new UsageError('no selected camera serves HLS (viewer.enabled and paths: [hls]) or relays to an origin that does');
  const { url } = await startWallServer(sources, port);
  console.log(`fleet wall: ${url} (${sources.length} camera${sources.length === 1 ? '' : 's'}; Ctrl-C to stop)`);
  return new Promise(() => {});
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runWallCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => process.exit(reportError(e)),
  );
}
