// A libcamera camera (`camera.device: libcamera:<id>`, a Raspberry Pi Camera Module): what the
// streamer captures it with. GStreamer's libcamerasrc writes raw frames into the streamer's ffmpeg
// (streamer/ffmpeg-args.ts captureArgs), so the encode is the same as a V4L2 camera's
// (h264_v4l2m2m where the Pi has it, else libx264).
//
// Why GStreamer and not rpicam-vid: Debian bookworm ships libcamera 0.0.3 with libcamerasrc
// (gstreamer1.0-libcamera) but no rpicam-apps, while Raspberry Pi OS ships both, its
// gstreamer1.0-libcamera built from its own libcamera (with the Pi's pipeline handlers): one capture
// path works on either image, and the lab's vimc camera proves it for real.
// libcamera-ipa: Debian only suggests the IPA modules, without which libcamera offers no camera
// at all (vimc's and the Pi's pipelines both load one). libcamera-tools: `cam -l`, which observe
// lists the cameras with (provision/facts/observe/observe.sh).
import { libcameraId } from '../../../contract/camera.ts';
import type { Part } from './part.ts';

export const libcamera: Part = {
  name: 'libcamera',
  packages: ['gstreamer1.0-tools', 'gstreamer1.0-plugins-base', 'gstreamer1.0-libcamera', 'libcamera-ipa', 'libcamera-tools'],
  enabled: (host) => !host.origin && libcameraId(host.camera.device) !== undefined,
  // Packages only: the streamer's own files say which camera (streamer.json's device).
  on: () => ({}),
  // Installed packages stay when the camera changes: camfleet removes what it wrote, not what apt did.
  off: () => ({}),
};
