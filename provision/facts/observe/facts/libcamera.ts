import { libcameraId } from '../../../../contract/camera.ts';
import { fields, type Fact } from '../fact.ts';
import { parseLibcamera } from '../libcamera.ts';

/** The cameras libcamera sees (number, model, id, modes) and whether one is in use; only for a libcamera camera. */
export const libcamera: Fact = {
  name: 'libcamera',
  env: (query) => ({ LIBCAMERA: libcameraId(query.camera.device) === undefined ? '0' : '1' }),
  parse(lines, observed) {
    if (!lines.includes('tools')) return;
    const list: string[] = [];
    const info = new Map<number, string[]>();
    for (const line of lines) {
      const [kind, ...f] = fields(line);
      if (kind === 'inuse') observed.libcameraInUse = true;
      else if (kind === 'list') list.push(f.join('\t'));
      else if (kind === 'info' && f[0]) info.set(Number(f[0]), [...(info.get(Number(f[0])) ?? []), f.slice(1).join('\t')]);
    }
    observed.libcamera = parseLibcamera(list, info);
  },
};
