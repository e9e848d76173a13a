// Loaded into a benchmarked node process (node --import): when it exits, its own CPU time and
// peak memory go to the file named by CAMFLEET_BENCH_USAGE. No system tool needed, and only
// that process is counted, not the benchmark around it or the targets it talks to.
import { writeFileSync } from 'node:fs';

const file = process.env.CAMFLEET_BENCH_USAGE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ userMs: u.userCPUTime / 1000, systemMs: u.systemCPUTime / 1000, maxRssKiB: u.maxRSS }));
  });
}
