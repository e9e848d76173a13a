// Bundle the origin's exporter into one ESM file for the origin's Node (streamer/pi-bundle.ts).
import { bundleForPi } from '../streamer/pi-bundle.ts';

const banner = "// Managed by camfleet: the origin's Prometheus exporter, generated from origin-exporter/*.ts by origin-exporter/build.ts. Do not edit.";

export async function buildOriginExporterBundle(): Promise<string> {
  return bundleForPi('origin-exporter/main.ts', { banner, format: 'esm', minify: false });
}
