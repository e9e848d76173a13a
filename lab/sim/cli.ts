// npm run sim -- record | serve: the simulated fleet camfleet's scale benchmark and tests run against.
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openFileLimit } from './limits.ts';
import { startSimFleet } from './fleet.ts';
import { StaleRecordingError, recordCommand } from './recording.ts';

const usage = `Usage: npm run sim -- <command> [options]

Commands:
  record               boot a lab Pi, converge it, and record its answer to camfleet's observe step
                       in lab/sim/converged-pi.json (root; boots a lab Pi: ${recordCommand})
  serve --hosts N      N simulated Pis on loopback (127.66.x.y:2022) replaying that answer, until
                       stdin closes. Writes keys, known_hosts and inventories to --dir (default: a
                       temporary directory) and prints one JSON line when listening. Lines on stdin:
                       'inventory K' prints the inventory of the first K hosts, 'stats' the counts.
                       Refuses to start (exit 3) when the recording is stale.

Options:
  --hosts N     how many simulated Pis (default 1)
  --dir DIR     where their files go
  --port P      the port each listens on (default 2022)
  -h, --help    this text`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { hosts: { type: 'string' }, dir: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  const [command] = positionals;
  if (values.help || !command) return console.log(usage), values.help ? 0 : 2;
  if (command === 'record') {
    const { recordConvergedPi } = await import('./record.ts');
    await recordConvergedPi((l) => console.error(`sim: ${l}`));
    return 0;
  }
  if (command !== 'serve') return console.error(`sim: unknown command '${command}'\n${usage}`), 2;

  const hosts = Number(values.hosts ?? '1');
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > 60_000) return console.error(`sim: --hosts takes 1..60000, not '${values.hosts}'`), 2;
  // One descriptor per listening host, two per connection in flight, and Node's own.
  const needed = hosts + 2 * Math.min(hosts, 1000) + 64;
  const limit = openFileLimit();
  if (limit < needed) return console.error(`sim: ${hosts} simulated hosts need about ${needed} file descriptors, this process may open ${limit}: raise it (ulimit -n ${needed})`), 2;
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'camfleet-sim-'));
  const fleet = await startSimFleet(dir, hosts, { port: values.port ? Number(values.port) : undefined });
  console.log(JSON.stringify({ ready: true, hosts, dir, knownHosts: fleet.files.knownHosts, openFileLimit: limit }));
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [what, arg] = line.trim().split(/\s+/);
    if (what === 'stats') console.log(JSON.stringify(fleet.stats()));
    else if (what === 'inventory') console.log(JSON.stringify({ inventory: fleet.files.inventory(Number(arg)) }));
    else console.log(JSON.stringify({ error: `unknown request '${line}'` }));
  }
  await fleet.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof StaleRecordingError) {
      console.error(`\nsim: REFUSING TO RUN. ${e.message}\n`);
      process.exit(3);
    }
    console.error(`sim: ${(e as Error)?.stack ?? e}`);
    process.exit(1);
  },
);
