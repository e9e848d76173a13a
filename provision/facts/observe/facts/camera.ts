import type { Fact } from '../fact.ts';

/** Whether the device or file the camera source needs is there; ffmpeg's lavfi test pattern needs nothing. */
export const camera: Fact = {
  name: 'camera',
  env: (query) => ({ CAMERA: cameraPath(query.camera.device) }),
  parse(lines, observed) {
    observed.camera = lines[0] === '1';
  },
};

function cameraPath(device: string): string {
  if (device.startsWith('lavfi:')) return '';
  return device.startsWith('file:') ? device.slice('file:'.length) : device;
}
