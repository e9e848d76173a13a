// The fact-gathering round trip: observe.sh with this host's values. Pure apart from reading the
// script file once: desired state in, script text out.
import { lineList, patternList, withValues, wordList } from '../../transport/remote.ts';
import { scriptFile } from '../../transport/remote-scripts.ts';
import { paths } from '../../core/render/paths.ts';
import { managedMarker } from '../../core/types.ts';
import { libcameraId } from '../../../contract/camera.ts';

/** What observe asks a host about: the parts of a desired state that name things on it. */
export interface ObserveQuery {
  packages: readonly string[];
  units: readonly { name: string }[];
  files: readonly { path: string }[];
  absent: readonly { path: string }[];
  /** Directories to remove (see AbsentDir): observe says which are there and may go. */
  absentDirs?: readonly { path: string; files: readonly string[] }[];
  camera: { device: string; encoder: string };
}

/** Just the query, e.g. to save beside a plan (a DesiredState is one, and much more). */
export function observeQuery(desired: ObserveQuery): ObserveQuery {
  return {
    packages: [...desired.packages],
    units: desired.units.map(({ name }) => ({ name })),
    files: desired.files.map(({ path }) => ({ path })),
    absent: desired.absent.map(({ path }) => ({ path })),
    absentDirs: (desired.absentDirs ?? []).map(({ path, files }) => ({ path, files: [...files] })),
    camera: { device: desired.camera.device, encoder: desired.camera.encoder },
  };
}

export function observeScript(desired: ObserveQuery): string {
  // Which cameras libcamera sees costs a cam start per camera: asked only for a libcamera camera.
  const libcamera = libcameraId(desired.camera.device) === undefined ? '' : scriptFile('facts/observe/libcamera.sh');
  return withValues(libcamera + scriptFile('facts/observe/observe.sh'), {
    env: {
      PACKAGES: wordList(desired.packages),
      UNITS: wordList(desired.units.map((u) => u.name)),
      CAMERA: cameraPath(desired.camera.device),
      MARKER: managedMarker,
      PENDING: paths.pendingRestarts,
      // Listing encoders costs ffmpeg's start-up; only a host pinned to the hardware encoder needs it.
      ENCODERS: desired.camera.encoder === 'h264_v4l2m2m' ? 1 : 0,
      // Where staging leaves `.<name>.camfleet-XXXXXX` beside each target (stage-file.sh).
      STAGING_DIRS: lineList([...new Set(desired.files.map((f) => f.path.slice(0, f.path.lastIndexOf('/')) || '/'))]),
      // One directory a line: its path, a tab, then the name patterns of what may go with it.
      ABSENT_DIRS: lineList((desired.absentDirs ?? []).map((d) => `${tabFree(d.path)}\t${patternList(d.files)}`)),
    },
    args: [...desired.files.map((f) => f.path), ...desired.absent.map((a) => a.path)],
  });
}

function tabFree(path: string): string {
  if (path.includes('\t') || !path.startsWith('/')) throw new Error(`not an absolute path without tabs: ${JSON.stringify(path)}`);
  return path;
}

/** What must exist on the host for the camera source: a device or a file; ffmpeg's lavfi test pattern needs nothing. */
function cameraPath(device: string): string {
  // A libcamera camera has no one device node to look for: observe asks libcamera instead.
  if (device.startsWith('lavfi:') || libcameraId(device) !== undefined) return '';
  return device.startsWith('file:') ? device.slice('file:'.length) : device;
}
