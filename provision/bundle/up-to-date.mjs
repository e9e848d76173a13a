// Whether dist/ was built from the sources as they are now. Plain JavaScript, so that the
// launcher (fresh-cli.mjs) can ask before anything is compiled. The stamp lists every file the
// bundle is built from (provision/, streamer/, viewer/, wall/, webrtc/, schemas/, and package-lock.json for the
// libraries) with its size and time of change; the build writes it, the launcher compares it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

// viewer/, wall/ and webrtc/: the bundle carries the viewer page, the wall and the WebRTC service prebuilt.
const folders = ['provision', 'streamer', 'viewer', 'wall', 'webrtc', 'schemas'];
const files = ['package.json', 'package-lock.json'];

/** @param {string} root the checkout */
export function stampFile(root) {
  return join(root, 'dist', 'built-from.txt');
}

/** @param {string} root the checkout @returns {string} one line per input: path, size, mtime */
export function sourceStamp(root) {
  const lines = [];
  /** @param {string} rel @param {boolean} [onlyFiles] */
  const add = (rel, onlyFiles = false) => {
    try {
      const s = statSync(join(root, rel));
      if (!onlyFiles || s.isFile()) lines.push(`${rel} ${s.size} ${s.mtimeMs}`);
    } catch {
      if (!onlyFiles) lines.push(`${rel} missing`);
    }
  };
  for (const folder of folders) {
    let names = [];
    try {
      names = readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' });
    } catch {
      // a folder this checkout does not have
    }
    for (const name of names.sort()) {
      if (name.split(/[/\\]/).some((part) => part.startsWith('.'))) continue;
      add(join(folder, name), true);
    }
  }
  for (const f of files) add(f);
  return `${lines.join('\n')}\n`;
}

/** @param {string} root the checkout @returns {boolean} */
export function distIsCurrent(root) {
  try {
    return readFileSync(stampFile(root), 'utf8') === sourceStamp(root);
  } catch {
    return false;
  }
}
