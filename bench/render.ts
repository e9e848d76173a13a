// Benchmark 1: load, validate, resolve and render a generated 1,000-host inventory.
import { parseAndResolve } from '../provision/core/inventory/load.ts';
import { renderHost } from '../provision/core/render/render.ts';
import { loadTemplates } from '../provision/converge/render-inputs.ts';

export function generatedInventory(hosts: number): string {
  const lines = [
    'defaults:',
    '  hotspot: { country: GB, passphrase: { env: BENCH_PASS } }',
    'groups:',
    '  hd: { camera: { resolution: 1920x1080, bitrate: 4M } }',
    '  ap: { hotspot: { mode: hostapd } }',
    '  nm: { hotspot: { mode: networkmanager } }',
    'hosts:',
  ];
  for (let i = 0; i < hosts; i++) {
    const groups = [i % 2 ? 'hd' : undefined, ['ap', 'nm', undefined][i % 3]].filter(Boolean);
    lines.push(`  pi${i}: { address: 10.${(i >> 8) & 255}.${i & 255}.1, groups: [${groups.join(', ')}], hotspot: { ssid: cam-${i} } }`);
  }
  return `${lines.join('\n')}\n`;
}

export interface RenderBench {
  hosts: number;
  files: number;
  ms: number;
}

/** Time from inventory text to every host's desired state (median of `runs`). */
export function benchRender(hosts = 1000, runs = 5): RenderBench {
  const text = generatedInventory(hosts);
  const templates = loadTemplates();
  const bundle = 'x'.repeat(200_000); // the size of a real streamer bundle
  // The sizes of the real page files; their content is the same for every host.
  const viewerAssets = { page: '<html>{{title}}{{config}}</html>', app: 'x'.repeat(20_000), hlsLibrary: 'x'.repeat(380_000), webrtcService: 'x'.repeat(870_000) };
  const times: number[] = [];
  let files = 0;
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    const inv = parseAndResolve('bench.yaml', text, '/tmp', { env: { BENCH_PASS: 'bench-passphrase' } });
    files = inv.hosts.reduce((n, h) => n + renderHost(h, { templates, streamerBundle: bundle, viewerAssets }).files.length, 0);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { hosts, files, ms: times[Math.floor(runs / 2)]! };
}

if (process.argv[1]?.endsWith('bench/render.ts')) {
  const r = benchRender();
  console.log(`render ${r.hosts} hosts (${r.files} files): ${r.ms.toFixed(0)} ms (goal < 1000 ms)`);
}
