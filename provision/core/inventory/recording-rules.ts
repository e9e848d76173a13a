// Recording's settings the schema cannot judge alone: a folder camfleet may fill (not one of the
// system's own), and segments no shorter than the keyframe interval they are cut at.
import type { Problem } from '../errors.ts';
import type { ResolvedHost } from '../types.ts';
import type { InventoryDocument, YamlPath } from './document.ts';

type At = (key: string) => YamlPath;

/** Folders of the system itself: recording there would fill or be wiped with them (or never persist: /run, /proc). */
const systemFolders = ['/bin', '/boot', '/dev', '/etc', '/lib', '/proc', '/run', '/sbin', '/sys', '/usr', '/var/www/camfleet'];

export function checkRecording(doc: InventoryDocument, host: ResolvedHost, at: At, isOrigin: boolean): Problem[] {
  const r = host.recording;
  if (!r.enabled) return [];
  if (isOrigin) return [doc.problem(at('recording.enabled'), 'an origin has no camera to record: recording is set on the cameras')];
  const problems: Problem[] = [];
  const parts = r.path.split('/').slice(1);
  if (parts.some((p) => p === '' || p === '.' || p === '..'))
    problems.push(doc.problem(at('recording.path'), `${r.path}: write it plainly, without empty, . or .. parts (or a trailing /)`));
  else {
    const inside = systemFolders.find((f) => r.path === f || r.path.startsWith(`${f}/`));
    if (inside) problems.push(doc.problem(at('recording.path'), `${r.path} is inside ${inside}, a folder of the system's own: record to /var/lib/camfleet/recordings or a disk's mount point`));
  }
  // Segments are cut only at keyframes: one shorter than the keyframe interval would be one GOP long anyway.
  const keyframeSeconds = host.camera.gop / host.camera.fps;
  if (r.segment < keyframeSeconds)
    problems.push(doc.problem(at('recording.segment'), `${r.segment} s is shorter than the keyframe interval (camera.gop / camera.fps = ${keyframeSeconds} s) segments are cut at`));
  return problems;
}
