// Benchmark 8: what the Prometheus endpoint costs a Pi (issue 27: under 1% of a core at a 15 s
// scrape interval). A lab Pi streams as provisioned; this machine scrapes its /metrics back to
// back, and the CPU the Pi's processes that answer a scrape use (the streamer's node, nginx, and
// camfleet-webrtc, which the streamer asks for its viewers) is read from their /proc stat before
// and after, less what they use in the same time without scrapes (the streamer's own work).
//
//   npx tsx bench/metrics-cost.ts
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { containerUp } from '../lab/container.ts';
import { writeInventory } from '../lab/scratch-inventory.ts';
import { sshArgs } from '../lab/ssh-args.ts';
import type { LabHost } from '../lab/state.ts';
import { buildCli } from '../provision/bundle/build-cli.ts';
import { procStat } from './proc-stat.ts';

export interface MetricsCost {
  scrapes: number;
  /** CPU on the Pi per scrape, beyond its work without scrapes (ms). */
  cpuPerScrapeMs: number;
  /** That, once every 15 s, as a share of one core (percent). */
  corePctAt15s: number;
  /** Wall time of one scrape as this machine sees it (ms, median). */
  scrapeMs: number;
  bytes: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU so far (ms) of the processes that answer a scrape, read on the Pi. */
function answeringCpuMs(pi: LabHost): number {
  const script =
    'for u in camfleet-streamer nginx camfleet-webrtc; do p=$(systemctl show -p MainPID --value $u); [ "$p" != 0 ] && echo $p; done > /tmp/pids; ' +
    // nginx's worker does the proxying and the statistics page; its master only supervises.
    'pgrep -x nginx >> /tmp/pids; sort -u /tmp/pids | while read -r p; do cat /proc/$p/stat; done';
  const out = execFileSync('ssh', sshArgs(pi, ['-o', 'BatchMode=yes', `sudo sh -c '${script}'`]), { encoding: 'utf8' });
  return out
    .split('\n')
    .filter(Boolean)
    .reduce((sum, line) => sum + procStat(line).cpuMs, 0);
}

export async function benchMetricsCost(options: { log?: (line: string) => void; scrapes?: number; pi?: LabHost } = {}): Promise<MetricsCost> {
  const log = options.log ?? (() => {});
  const scrapes = options.scrapes ?? 400;
  const camfleet = await buildCli();
  const pi = options.pi ?? ((await containerUp({ hosts: 1, layer: 'ready', log }))[0] as LabHost);
  const inventory = writeInventory([pi], (doc) => {
    doc.defaults.access = { metrics: ['10.0.0.0/8'] };
  });
  log(`provisioning ${pi.name} with /metrics open to this machine`);
  execFileSync(process.execPath, [camfleet, 'provision', '--inventory', inventory, '--host', pi.name], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://${pi.address}:8080/metrics`;
  for (let i = 0; ; i++) {
    if (/^camfleet_stream_up 1$/m.test(await (await fetch(url)).text())) break;
    if (i > 60) throw new Error(`${pi.name}'s stream did not come up in its metrics`);
    await sleep(1000);
  }

  // Without scrapes, over as long as the scrapes take (measured first, then again for the baseline).
  const times: number[] = [];
  let bytes = 0;
  const c0 = answeringCpuMs(pi);
  const t0 = performance.now();
  for (let i = 0; i < scrapes; i++) {
    const s = performance.now();
    const text = await (await fetch(url)).text();
    times.push(performance.now() - s);
    bytes = text.length;
  }
  const scrapeWallMs = performance.now() - t0;
  const c1 = answeringCpuMs(pi);
  const t1 = performance.now();
  await sleep(scrapeWallMs);
  const c2 = answeringCpuMs(pi);
  const idleWallMs = performance.now() - t1;
  const baselinePerMs = (c2 - c1) / idleWallMs;
  const extra = Math.max(0, c1 - c0 - baselinePerMs * scrapeWallMs);
  const cpuPerScrapeMs = extra / scrapes;
  log(`${scrapes} scrapes in ${(scrapeWallMs / 1000).toFixed(1)} s: ${(c1 - c0).toFixed(0)} ms CPU on the Pi, ${((c2 - c1) / idleWallMs * scrapeWallMs).toFixed(0)} ms of it its work without scrapes`);
  times.sort((a, b) => a - b);
  return { scrapes, cpuPerScrapeMs, corePctAt15s: (cpuPerScrapeMs / 15_000) * 100, scrapeMs: times[Math.floor(times.length / 2)]!, bytes };
}

export const formatMetricsCost = (r: MetricsCost, verdict: (ok: boolean) => string): string =>
  `metrics endpoint on a lab Pi (x86_64 container): ${r.cpuPerScrapeMs.toFixed(2)} ms of CPU per scrape (streamer + nginx + camfleet-webrtc, ${r.scrapes} scrapes, ` +
  `${r.bytes} bytes, ${r.scrapeMs.toFixed(1)} ms each) = ${r.corePctAt15s.toFixed(3)}% of a core at a 15 s scrape interval — goal < 1%: ${verdict(r.corePctAt15s < 1)}` +
  ` (a Pi Zero 2's core is some 10x slower: ${(r.corePctAt15s * 10).toFixed(2)}% there)`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await benchMetricsCost({ log: (l) => console.error(`  … ${l}`) });
  console.log(formatMetricsCost(r, (ok) => (ok ? 'meets goal' : 'MISSES goal')));
  const { containerDown } = await import('../lab/container.ts');
  await containerDown();
}
