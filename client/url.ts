// Which stream a host serves, and how to show its URL without giving its key away.
import { publishUrl } from '../contract/streamer-config.ts';
import { UsageError } from '../provision/core/errors.ts';
import { loadInventory } from '../provision/converge/load-inventory.ts';
import { relayUrl } from '../provision/core/render/origin.ts';
import { viewerPageUrl } from '../provision/core/render/viewer.ts';
import type { ResolvedHost } from '../provision/core/types.ts';

/** The URL a viewer plays: rtmp://<address>:<port>/<application>/<key>, or the origin's when the Pi relays. */
export function viewerUrl(host: Pick<ResolvedHost, 'address' | 'stream' | 'relay'>): string {
  if (host.relay) return relayUrl(host.relay);
  return publishUrl(`rtmp://${host.address}:${host.stream.port}/${host.stream.application}`, host.stream.key);
}

/** The host called name in the inventory file, resolved. */
async function inventoryHost(file: string, name: string): Promise<ResolvedHost> {
  const inventory = await loadInventory(file, { only: [name] });
  const host = inventory.hosts.find((h) => h.name === name);
  if (!host) throw new UsageError(`no host ${JSON.stringify(name)} in ${inventory.file} (hosts: ${inventory.names.join(', ')})`);
  return host;
}

/** The viewer URL of the host called name in the inventory file. */
export async function hostViewerUrl(file: string, name: string): Promise<string> {
  return viewerUrl(await inventoryHost(file, name));
}

/** Both URLs of the host called name, from one read of the inventory: RTMP, and its viewer page (undefined while off). */
export async function hostUrls(file: string, name: string): Promise<{ rtmp: string; page: string | undefined }> {
  const host = await inventoryHost(file, name);
  return { rtmp: viewerUrl(host), page: viewerPageUrl(host) };
}

// Shown without the key the way the streamer and camfleet-webrtc log it: one masking for all.
export { maskKey, redactUrl } from '../contract/streamer-config.ts';

/** host and port of an rtmp:// URL (default port 1935). */
export function urlEndpoint(url: string): { host: string; port: number } {
  const u = new URL(url.replace(/^rtmps?:/, 'http:'));
  return { host: u.hostname, port: u.port ? Number(u.port) : 1935 };
}
