// A part of a Pi (nginx-rtmp, the streamer, WebRTC, the viewer page, the hotspot, the origin's
// pages): everything camfleet installs, writes, runs and removes for it, in one module. render.ts
// merges the parts of parts.ts in their order; nothing else in render knows one part from another.
// Pure: templates and bundles come in as values (RenderInputs).
import type { AbsentDir, AbsentFile, DesiredUnit, HotspotSettings, ManagedFile, ResolvedHost } from '../types.ts';
import type { Format } from '../render/formats.ts';
import type { ViewerAssets, WallAssets } from '../../../contract/artifacts.ts';

/** What render hands a part: the host, the built files, and the one way to fill a template. */
export interface PartContext {
  host: ResolvedHost;
  streamerBundle: string;
  viewerAssets: ViewerAssets;
  wallAssets?: WallAssets;
  /** The origin's exporter bundle (on an origin). */
  originExporter?: string;
  /**
   * A file filled from `template` (templates/<template>.hbs), every value escaped for `format`
   * first (formats.ts). Units (.service) are validated on the Pi with systemd-analyze; pass
   * `{ validate: 'nginx' }` for nginx -t.
   */
  template(path: string, template: string, format: Format, extra?: Partial<ManagedFile>): ManagedFile;
}

/** What one part adds to a host's desired state. Every field optional: most parts add a few. */
export interface Contribution {
  /** Only when it installs fewer than Part.packages (a hotspot installs its mode's). */
  packages?: readonly string[];
  files?: ManagedFile[];
  /** What it removes: files it wrote while it was on. */
  absent?: AbsentFile[];
  absentDirs?: AbsentDir[];
  /** Its units, each with the files whose change restarts it (restartOn). */
  units?: DesiredUnit[];
  /** The ports it listens on once up (the plan's last step checks them). */
  listen?: number[];
}

export interface Part {
  name: string;
  /** Every Debian package it may install, in install order: the lab's, demo's and CI's lists derive from these. */
  packages: readonly string[];
  /** A part every camera Pi runs whatever its inventory says: the lab image pre-downloads its packages. */
  always?: boolean;
  /** Debian packages the operator's machine needs to validate its files (render runs nginx -t). */
  checkedWith?: readonly string[];
  enabled(host: ResolvedHost): boolean;
  /** Its files, units and ports on a host that runs it. */
  on(ctx: PartContext): Contribution;
  /** On a host that does not: what it removes and stops, so turning it off converges. */
  off(host: ResolvedHost): Contribution;
}

/** One mode of the hotspot part (hotspot.ts), which turns the other modes off. */
export interface HotspotMode {
  mode: Exclude<HotspotSettings['mode'], 'none'>;
  packages: readonly string[];
  /** Its files and units; the country's unit and file come first (hotspot.ts). */
  on(ctx: PartContext): Contribution;
  /** What it removes and stops while another mode is on. */
  off: Contribution;
}

/** A unit camfleet wants stopped and disabled, if it exists at all. */
export const offUnit = (name: string): DesiredUnit => ({ name, enabled: false, active: false, restartOn: [], reloadOn: [] });

/** A unit that runs, restarted when any of `restartOn` changes. */
export const onUnit = (name: string, restartOn: string[], extra: Partial<DesiredUnit> = {}): DesiredUnit => ({ name, enabled: true, active: true, restartOn, reloadOn: [], ...extra });

/** A file whose content is already made (a bundle, a page, typed JSON), root's and world-readable unless `extra` says. */
export const contentFile = (path: string, content: string, extra: Partial<ManagedFile> = {}): ManagedFile => ({ path, content, mode: 0o644, owner: 'root', group: 'root', ...extra });

export const absentFiles = (paths: readonly string[]): AbsentFile[] => paths.map((path) => ({ path }));
