// One JavaScript file for the Pi from a program in this checkout: Debian bookworm's nodejs (18)
// runs it with no npm install. The streamer (streamer/build.ts) and the WebRTC service
// (webrtc/build.ts) are bundled with it. Deterministic — the same sources give the same bytes — so
// the provisioner's file diff only changes when the program does.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout: one up from streamer/. */
export const root = dirname(dirname(fileURLToPath(import.meta.url)));

export interface PiBundle {
  /** The file's first line: camfleet's marker, so a host turned origin can remove the file again. */
  banner: string;
  format: 'esm' | 'cjs';
  minify: boolean;
}

/** `entry` (a path in the checkout) with everything it imports, as the text of one file. */
export async function bundleForPi(entry: string, { banner, format, minify }: PiBundle): Promise<string> {
  const result = await build({
    entryPoints: [join(root, entry)],
    // Relative paths in the bundle's comments: the output doesn't depend on where the checkout is.
    absWorkingDir: root,
    bundle: true,
    write: false,
    platform: 'node',
    format,
    target: 'node18',
    minify,
    legalComments: 'none',
    banner: { js: banner },
    logLevel: 'warning',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error(`esbuild produced no output for ${entry}`);
  return file.text;
}
