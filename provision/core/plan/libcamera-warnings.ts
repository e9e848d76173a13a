// What a plan says about a libcamera camera before anything is written: libcamera does not see
// it, or it has no mode at the configured size. Warnings, not errors: a Camera Module can be
// connected later (the streamer retries), and the operator may be provisioning ahead of the hardware.
import { libcameraId } from '../../../contract/camera.ts';
import type { DesiredState, LibcameraCamera, ObservedState } from '../types.ts';

export function libcameraWarnings(desired: DesiredState, observed: ObservedState): string[] {
  const id = libcameraId(desired.camera.device);
  if (id === undefined) return [];
  const cameras = observed.libcamera;
  // Before the first run libcamera's tools are not there to ask; they are installed by this plan.
  if (!cameras) return ['libcamera camera: cam (libcamera-tools) is not installed yet, so which cameras libcamera sees is checked on the next run'];
  const seen = cameras.map((c) => `${c.id} (${c.model})`).join(', ');
  const camera = id ? cameras.find((c) => c.id === id) : cameras[0];
  if (!camera) {
    // A camera in use (the streamer capturing it) is not listed by libcamera 0.0.3: no guess then.
    if (observed.libcameraInUse) return [];
    return [
      cameras.length
        ? `libcamera camera ${JSON.stringify(id)} not found: libcamera sees ${seen}; the streamer will retry until it appears`
        : 'libcamera sees no camera (is the Camera Module connected, its ribbon the right way round?): the streamer will retry until one appears',
    ];
  }
  const size = desired.camera.size;
  if (!size || !camera.modes.length || offersSize(camera, size.width, size.height)) return [];
  return [`libcamera camera ${camera.id} (${camera.model}) offers no ${size.width}x${size.height} mode: its modes are ${describeModes(camera)}`];
}

/** The cameras observed, for the plan to show: only for a libcamera camera, once libcamera's tools are there. */
export function libcameraSeen(desired: DesiredState, observed: ObservedState): { libcamera?: LibcameraCamera[]; libcameraInUse?: boolean } {
  if (libcameraId(desired.camera.device) === undefined || !observed.libcamera) return {};
  return { libcamera: observed.libcamera, ...(observed.libcameraInUse ? { libcameraInUse: true } : {}) };
}

/** One line per camera, as the plan prints them. */
export function describeCameras(cameras: readonly LibcameraCamera[], inUse = false): string[] {
  if (!cameras.length) return [inUse ? 'libcamera lists no free camera: one is in use (the streamer capturing it)' : 'libcamera sees no camera'];
  return cameras.map((c) => `libcamera camera ${c.index}: ${c.id} (${c.model}), modes ${c.modes.length ? describeModes(c) : `unknown (${c.modesUnknown ?? 'not read'})`}`);
}

/** Does the camera deliver width x height: a size it lists, or one within a format's range. */
export function offersSize(camera: LibcameraCamera, width: number, height: number): boolean {
  const size = `${width}x${height}`;
  return camera.modes.some(
    (m) => m.sizes.includes(size) || (width >= m.min.width && width <= m.max.width && height >= m.min.height && height <= m.max.height),
  );
}

/** A camera's modes in a line: `BGR888 48x48-4096x2160, ...`. */
export function describeModes(camera: LibcameraCamera): string {
  return camera.modes.map((m) => `${m.format} ${m.min.width}x${m.min.height}-${m.max.width}x${m.max.height}`).join(', ');
}
