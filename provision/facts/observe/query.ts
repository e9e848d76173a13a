// What observe asks a host about: the parts of a desired state that name things on it.

export interface ObserveQuery {
  packages: readonly string[];
  units: readonly { name: string }[];
  files: readonly { path: string }[];
  absent: readonly { path: string }[];
  /** Directories to remove (see AbsentDir): observe says which are there and may go. */
  absentDirs?: readonly { path: string; files: readonly string[] }[];
  camera: { device: string; encoder: string };
}

/** Just the query, e.g. to save beside a plan (a DesiredState is one, and much more). */
export function observeQuery(desired: ObserveQuery): ObserveQuery {
  return {
    packages: [...desired.packages],
    units: desired.units.map(({ name }) => ({ name })),
    files: desired.files.map(({ path }) => ({ path })),
    absent: desired.absent.map(({ path }) => ({ path })),
    absentDirs: (desired.absentDirs ?? []).map(({ path, files }) => ({ path, files: [...files] })),
    camera: { device: desired.camera.device, encoder: desired.camera.encoder },
  };
}
