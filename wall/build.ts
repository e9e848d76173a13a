// The fleet wall's files, built once per run like the viewer page's: the page (filled in by render
// for an origin, or by `npm run wall`) and its script. hls.js comes with the viewer's files.
// Deterministic, so a second provision finds nothing to change.
import type { WallAssets } from '../contract/artifacts.ts';
import { bundleBrowserApp, managedMarker, readPage } from '../viewer/bundle.ts';

export async function buildWallAssets(): Promise<WallAssets> {
  const [page, app] = await Promise.all([readPage('wall/page.html'), bundleBrowserApp('wall/app.ts')]);
  return { page, app: managedMarker('the fleet wall script, built from wall/app.ts') + app };
}
