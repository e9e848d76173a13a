// libcamera's cameras from the lines its fact passes through (facts/libcamera.sh): `cam -l` (every camera: number,
// model, id) and `cam -c N -I` (one camera's stream formats and sizes). Pure; held to output
// recorded from the VM lab Pi's vimc camera (test/fixtures/libcamera/).
import type { LibcameraCamera, LibcameraMode } from '../../core/types.ts';

// cam 0.0.3: `1: 'Sensor B' (platform/vimc.0 Sensor B)`; older and newer cams drop the quotes.
const listLine = /^(\d+): '?(.*?)'? \((.+)\)$/;
// ` * Pixelformat: BGR888 (48x48)-(4096x2160)/(+0,+0)`
const formatLine = /^\s*\*\s*Pixelformat:\s*(\S+)\s*\((\d+)x(\d+)\)-\((\d+)x(\d+)\)/;
// `  - 1920x1080`
const sizeLine = /^\s*-\s*(\d+x\d+)\s*$/;

/** `list` lines (cam -l's output) and `info` lines by camera number (cam -I's output and errors). */
export function parseLibcamera(list: readonly string[], info: ReadonlyMap<number, readonly string[]>): LibcameraCamera[] {
  const cameras: LibcameraCamera[] = [];
  for (const line of list) {
    const m = listLine.exec(line.trim());
    if (!m) continue;
    const index = Number(m[1]);
    const lines = info.get(index) ?? [];
    const modes = parseModes(lines);
    const camera: LibcameraCamera = { index, id: m[3]!, model: m[2]!, modes };
    if (!modes.length) camera.modesUnknown = whyNoModes(lines);
    cameras.push(camera);
  }
  return cameras;
}

function parseModes(lines: readonly string[]): LibcameraMode[] {
  const modes: LibcameraMode[] = [];
  for (const line of lines) {
    const f = formatLine.exec(line);
    if (f) {
      modes.push({ format: f[1]!, min: { width: Number(f[2]), height: Number(f[3]) }, max: { width: Number(f[4]), height: Number(f[5]) }, sizes: [] });
      continue;
    }
    const s = sizeLine.exec(line);
    if (s && modes.length) modes.at(-1)!.sizes.push(s[1]!);
  }
  return modes;
}

/** cam's own complaint ("Failed to acquire camera ..." while the streamer holds it), without libcamera's log prefix. */
function whyNoModes(lines: readonly string[]): string {
  const said = lines.map((l) => l.replace(/^\[[^\]]*\]\s*(\[[^\]]*\]\s*)?/, '').trim()).filter((l) => /fail|error|busy|cannot|unable/i.test(l));
  return said.at(-1) ?? 'cam listed no formats';
}
