// Every part of a Pi, in the order render merges them: the order of the packages apt installs, of
// the files staged and of the units checked. A new part is a module in this folder and a line here.
import type { Part } from './part.ts';
import { nginxRestart, nginxRtmp } from './nginx-rtmp.ts';
import { streamer } from './streamer.ts';
import { libcamera } from './libcamera.ts';
import { viewerPagePart } from './viewer-page.ts';
import { webrtc } from './webrtc.ts';
import { hotspot } from './hotspot.ts';
import { origin } from './origin.ts';
import { metrics } from './metrics.ts';
import { originExporter } from './origin-exporter.ts';
import { recording } from './recording.ts';
import { ingest } from './ingest.ts';

export const parts: readonly Part[] = [nginxRtmp, streamer, libcamera, nginxRestart, viewerPagePart, webrtc, hotspot, origin, recording, ingest, metrics, originExporter];

const unique = (names: readonly string[]): string[] => [...new Set(names)];

/**
 * What every camera Pi installs (the parts it always runs): nginx, the RTMP module, ffmpeg, Node.
 * The lab's container image pre-downloads these in this order (its cache key hashes the list), and
 * the test machine needs them (render's nginx -t, the streamer against real ffmpeg, the local host's dpkg).
 */
export const basePackages: readonly string[] = unique(parts.filter((p) => p.always).flatMap((p) => p.packages));

/** Every package any part may install (the VM lab Pi pre-installs them all). */
export const allPackages: readonly string[] = unique(parts.flatMap((p) => p.packages));

/** What the operator's machine needs to validate the parts' files (render runs nginx -t). */
export const checkPackages: readonly string[] = unique(parts.flatMap((p) => p.checkedWith ?? []));
