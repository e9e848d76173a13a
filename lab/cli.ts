// npm run lab -- build | up | down | ssh | status: the lab Pis tests, benchmarks and the demo use.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { extraImages, labKindNames, labKinds, type LabKindName } from './kinds.ts';
import { sshArgs } from './ssh-args.ts';
import { labInventory, registeredHosts, type LabHost } from './state.ts';

const usage = `Usage: npm run lab -- <command> [options]

Commands:
  build [--kind container|vm|arm64|first-boot|all] [--force]
                                       build the lab images (cached; the first build takes minutes;
                                       --force rebuilds the container image)
  up [--hosts N] [--kind container|vm|arm64] [--ready]
                                       boot lab Pis (replacing running ones of that kind) and write
                                       ${labInventory} + known_hosts
  down [--kind K]                      stop every lab Pi (of that kind); leaves no process, namespace or mount
  ssh HOST [COMMAND...]                log in to a lab Pi (strict host-key checking)
  status [--json]                      what is running: boot-to-SSH time, memory per host

Options:
  --hosts N     how many container (or arm64) lab Pis (default 1)
  --kind K      container (default: systemd-nspawn, fast), vm (qemu with a camera and Wi-Fi radios)
                or arm64 (arm1..N: the Pi's architecture under qemu-user-static, slow)
  --ready       boot from the image with camfleet's packages already installed (fleet tests, benchmarks)
  -h, --help    this text

Needs root (namespaces, mounts, nspawn, qemu). Exit codes: 0 ok, 1 failed, 2 usage.`;

class UsageError extends Error {}

const log = (line: string): void => console.log(`lab: ${line}`);

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  const kinds = selectKinds(command, values.kind);
  if (command === 'build' && values.kind && Object.hasOwn(extraImages, values.kind)) await extraImages[values.kind as keyof typeof extraImages](log);
  else if (command === 'build') for (const k of kinds) await labKinds[k].build({ force: values.force, log });
  else if (command === 'up') report(await labKinds[kinds[0]!].up({ hosts: hostCount(values.hosts), layer: values.ready ? 'ready' : 'base', log }));
  else if (command === 'down') {
    for (const k of kinds) await labKinds[k].down(log);
    log(`down: no ${kinds.length > 1 ? '' : `${kinds[0]} `}lab Pi running`);
  } else if (command === 'ssh') return ssh(rest);
  else if (command === 'status') await status(values.json);
  else throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  return 0;
}

const options = {
  hosts: { type: 'string' },
  kind: { type: 'string' },
  ready: { type: 'boolean', default: false },
  force: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** --kind: one kind to boot (container by default); for build and down, every kind by default or with `all`. */
function selectKinds(command: string, kind: string | undefined): LabKindName[] {
  const many = command === 'build' || command === 'down';
  if (command === 'build' && kind && Object.hasOwn(extraImages, kind)) return [];
  const name = kind ?? (many ? 'all' : 'container');
  if (many && name === 'all') return labKindNames;
  if (!labKindNames.includes(name as LabKindName)) throw new UsageError(`unknown --kind ${JSON.stringify(name)}`);
  return [name as LabKindName];
}

function report(hosts: LabHost[]): void {
  console.log(`\n${hosts.length} lab Pi(s) up: ${hosts.map((h) => `${h.name} (${h.address}${h.sshPort === 22 ? '' : `:${h.sshPort}`})`).join(', ')}`);
  console.log(`inventory: ${labInventory}`);
  console.log(`provision: npm run provision -- --inventory ${labInventory} --all`);
  console.log(`stop:      npm run lab -- down`);
}

async function ssh([name, ...cmd]: string[]): Promise<number> {
  if (!name) throw new UsageError('ssh needs a lab host name, e.g. npm run lab -- ssh lab1');
  const hosts = await registeredHosts();
  const host = hosts.find((h) => h.name === name);
  if (!host) throw new UsageError(`no lab Pi named ${JSON.stringify(name)} is up (${hosts.map((h) => h.name).join(', ') || 'none'})`);
  return spawnSync('ssh', sshArgs(host, cmd), { stdio: 'inherit' }).status ?? 1;
}

async function status(json: boolean): Promise<void> {
  const byKind = Object.fromEntries(await Promise.all(labKindNames.map(async (k) => [k, await labKinds[k].status()] as const)));
  if (json) return console.log(JSON.stringify(byKind, null, 2));
  const rows = labKindNames.flatMap((k) => byKind[k]!.map((h) => ({ ...h, kind: k })));
  if (!rows.length) console.log('no lab Pi running');
  for (const h of rows)
    console.log(
      `${h.name.padEnd(6)} ${h.kind.padEnd(9)} ${h.address.padEnd(15)} ${h.running ? (h.sshReachable ? 'up     ' : 'no ssh ') : 'stopped'}` +
        `  boot-to-ssh ${fmtS(h.bootToSshMs)}  memory ${h.memMiB?.toFixed(0) ?? '-'} MiB`,
    );
}

const fmtS = (ms?: number): string => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

function hostCount(value: string | undefined): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 200) throw new UsageError(`--hosts must be a whole number from 1 to 200, got ${JSON.stringify(value)}`);
  return n;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`lab: ${(e as Error).message}\n\n${usage}`);
      process.exit(2);
    }
    console.error(`lab: ${(e as Error).message}`);
    process.exit(1);
  },
);
