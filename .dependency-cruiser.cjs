// The layers of camfleet (../shared/ARCHITECTURE.md), mapped onto today's folders. Arrows run one
// way: cli/commands -> rollout -> apply/observe (remote execution) -> core (inventory, render,
// plan), which does no I/O at all. `npm test` runs this (npm run layers); a violation fails it.
const core = '^provision/(inventory|render|plan)/';
const cli = '^provision/(cli|cli-common)[.]ts$';
// Reading or writing the disk, spawning, the network, the machine: the shell's business, not the core's.
const io = '^(node:)?(fs|fs/promises|child_process|net|dgram|http|https|http2|tls|os|worker_threads|cluster)$|^zx$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-does-no-io',
      comment: 'inventory/, render/ and plan/ are pure: the shell reads files, env and templates and passes them in',
      severity: 'error',
      from: { path: core },
      to: { path: io },
    },
    {
      name: 'core-imports-no-shell',
      comment: 'the pure core knows nothing of remote execution, the commands, the rollout or the CLI (nor project-root.ts, which reads the disk on import)',
      severity: 'error',
      from: { path: core },
      to: { path: ['^provision/(apply|observe|commands|rollout|status)/', cli, '^provision/(project-root|artifacts|load-inventory|build-cli|launcher)[.]ts$'] },
    },
    {
      name: 'remote-imports-no-commands',
      comment: 'apply/ and observe/ run things on a host; the commands, the rollout and the CLI drive them, never the reverse',
      severity: 'error',
      from: { path: '^provision/(apply|observe)/' },
      to: { path: ['^provision/(commands|rollout)/', cli] },
    },
    {
      name: 'rollout-imports-no-commands',
      comment: 'rollout/ schedules any per-host run; the command that runs a host is above it',
      severity: 'error',
      from: { path: '^provision/rollout/' },
      to: { path: ['^provision/commands/', cli] },
    },
    {
      name: 'tools-import-no-tests',
      comment: 'bench/ and lab/ are tools of their own; what tests and tools share lives in lab/',
      severity: 'error',
      from: { path: '^(bench|lab)/' },
      to: { path: '^test/' },
    },
    {
      name: 'streamer-is-self-contained',
      comment: 'the streamer is bundled for the Pi on its own; of the provisioner it may share only the contract module',
      severity: 'error',
      from: { path: '^streamer/' },
      to: { path: '^provision/', pathNot: '^provision/contract/' },
    },
    {
      name: 'no-circular',
      comment: 'a cycle is an arrow both ways',
      severity: 'error',
      from: { path: '^(provision|streamer|viewer|client|lab|bench|demo)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are arrows too: a layer that needs another's types depends on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist)/' },
  },
};
