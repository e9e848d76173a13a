// npm run lab -- build | up | down | ssh | status: the lab Pis tests, benchmarks and the demo use.
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { arm64Down, arm64Status, arm64Up, ensureArm64Image } from './arm64.ts';
import { containerDown, containerStatus, containerUp } from './container.ts';
import { ensureImage, ensureVariant, firstBootVariant, imageDir } from './image.ts';
import { sshArgs } from './ssh-args.ts';
import { labInventory, registeredHosts } from './state.ts';
import type * as Vm from './vm-api.ts';

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

async function loadVm(): Promise<typeof Vm> {
  // The VM kind lives in its own module; loaded only when asked for (it pulls in qemu plumbing).
  return import('./vm/index.ts');
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      hosts: { type: 'string' },
      kind: { type: 'string' },
      ready: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  const kind = values.kind ?? (command === 'build' || command === 'down' ? 'all' : 'container');
  if (!['container', 'vm', 'arm64', ...(command === 'build' ? ['first-boot'] : []), ...(command === 'build' || command === 'down' ? ['all'] : [])].includes(kind)) throw new UsageError(`unknown --kind ${JSON.stringify(kind)}`);
  const does = (k: string): boolean => kind === 'all' || kind === k;

  switch (command) {
    case 'build': {
      if (does('container')) {
        if (values.force) await rm(imageDir, { recursive: true, force: true });
        for (const layer of ['base', 'ready'] as const) {
          const image = await ensureImage(layer, log);
          log(`container image ${layer}: ${image.cached ? 'cached' : 'built'} (build took ${(image.buildMs / 1000).toFixed(0)} s) at ${image.rootfs}`);
        }
      }
      if (does('vm')) {
        const vm = await (await loadVm()).buildVmImage({ log });
        log(`vm image: ${vm.cached ? 'cached' : 'built'} (build took ${(vm.ms / 1000).toFixed(0)} s)`);
      }
      // Only when asked: bootstrap's e2e test builds it for itself, the other lab Pis never need it.
      if (kind === 'first-boot') {
        const image = await ensureVariant(firstBootVariant, log);
        log(`first-boot image: ${image.cached ? 'cached' : 'built'} (build took ${(image.buildMs / 1000).toFixed(0)} s) at ${image.rootfs}`);
      }
      if (does('arm64')) {
        const image = await ensureArm64Image('base', log);
        log(`arm64 image: ${image.cached ? 'cached' : 'built'} (build took ${(image.buildMs / 1000).toFixed(0)} s) at ${image.rootfs}`);
      }
      return 0;
    }
    case 'up': {
      const layer = values.ready ? 'ready' : 'base';
      const hosts =
        kind === 'vm'
          ? [await (await loadVm()).vmUp({ log })]
          : kind === 'arm64'
            ? await arm64Up({ hosts: hostCount(values.hosts), layer, log })
            : await containerUp({ hosts: hostCount(values.hosts), layer, log });
      console.log(`\n${hosts.length} lab Pi(s) up: ${hosts.map((h) => `${h.name} (${h.address}${h.sshPort === 22 ? '' : `:${h.sshPort}`})`).join(', ')}`);
      console.log(`inventory: ${labInventory}`);
      console.log(`provision: npm run provision -- --inventory ${labInventory} --all`);
      console.log(`stop:      npm run lab -- down`);
      return 0;
    }
    case 'down': {
      if (does('container')) await containerDown(log);
      if (does('vm')) await (await loadVm().catch(() => undefined))?.vmDown();
      if (does('arm64')) await arm64Down(log);
      log(`down: no ${kind === 'all' ? '' : `${kind} `}lab Pi running`);
      return 0;
    }
    case 'ssh': {
      const [name, ...cmd] = rest;
      if (!name) throw new UsageError('ssh needs a lab host name, e.g. npm run lab -- ssh lab1');
      const host = (await registeredHosts()).find((h) => h.name === name);
      if (!host) throw new UsageError(`no lab Pi named ${JSON.stringify(name)} is up (${(await registeredHosts()).map((h) => h.name).join(', ') || 'none'})`);
      return spawnSync('ssh', sshArgs(host, cmd), { stdio: 'inherit' }).status ?? 1;
    }
    case 'status': {
      const containers = await containerStatus();
      const vm = await (await loadVm().catch(() => undefined))?.vmStatus();
      const arm64 = await arm64Status();
      if (values.json) {
        console.log(JSON.stringify({ containers, vm, arm64 }, null, 2));
        return 0;
      }
      if (!containers.length && !vm?.running && !arm64.length) console.log('no lab Pi running');
      for (const c of [...containers.map((c) => ({ ...c, kind: 'container' })), ...arm64.map((c) => ({ ...c, kind: 'arm64    ' }))])
        console.log(
          `${c.name.padEnd(6)} ${c.kind} ${c.address.padEnd(12)} ${c.running ? (c.sshReachable ? 'up     ' : 'no ssh ') : 'stopped'}` +
            `  boot-to-ssh ${fmtS(c.bootToSshMs)}  memory ${c.memMiB?.toFixed(0) ?? '-'} MiB`,
        );
      if (vm?.running) console.log(`vm1    vm        127.0.0.1:${vm.sshPort} up       boot-to-ssh ${fmtS(vm.bootToSshMs)}  memory ${vm.memMiB?.toFixed(0) ?? '-'} MiB`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
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
