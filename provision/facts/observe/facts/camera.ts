import { libcameraId } from '../../../../contract/camera.ts';
import type { Fact } from '../fact.ts';

/** Whether the device or file the camera source needs is there; ffmpeg's lavfi test pattern needs nothing, a libcamera camera is libcamera's fact. */
export const camera: Fact = {
  name: 'camera',
  env: (query) => ({ CAMERA: cameraPath(query.camera.device) }),
  parse(lines, observed) {
    observed.camera = lines[0] === '1';
  },
};

function cameraPath(device: string): string {
  // A libcamera camera has no one device node to look for: the libcamera fact asks libcamera instead.
  if (device.startsWith('lavfi:') || libcameraId(device) !== undefined) return '';
  return device.startsWith('file:') ? device.slice('file:'.length) : device;
}
