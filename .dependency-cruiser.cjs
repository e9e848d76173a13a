// The layers of camfleet (../shared/ARCHITECTURE.md), one folder each under provision/, arrows
// running one way, from the top down:
//
//   bundle/     builds the CLI into dist/ and starts it fast
//   cli/        argv, help, progress, summaries, exit codes: the commands
//   rollout/    many hosts at once, generic over the per-host result
//   converge/   one host: read the inventory, render, connect, observe, plan, apply
//   apply/      executes a plan's steps over a transport       \
//   facts/      one remote fact each: .sh + parser + record     } side by side: none imports another
//   transport/  ssh, tcp, known hosts, the Remote interface    /   (apply and facts run over transport)
//   core/       inventory, render, plan: pure, no I/O
//
// contract/ (top level) holds what the provisioner and the programs on the Pi or in the browser share;
// it stands on nothing of the repository but itself.
//
// `npm test` runs this (npm run layers); a violation fails it.
const layer = (...names) => `^provision/(${names.join('|')})/`;
// Reading or writing the disk, spawning, the network, the machine: the shell's business, not the core's.
const io = '^(node:)?(fs|fs/promises|child_process|net|dgram|http|https|http2|tls|os|worker_threads|cluster|readline|vm|module)$|^zx$|^node-ssh$|^ssh2$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'contract-stands-alone',
      comment: 'contract/ is shared by the provisioner and the programs bundled for the Pi and the browser: it imports only itself',
      severity: 'error',
      from: { path: '^contract/' },
      to: { path: '^(provision|streamer|webrtc|viewer|wall|origin-exporter|client|lab|bench|demo|test)/' },
    },
    {
      name: 'core-imports-only-the-contract',
      comment: 'core/ renders what the programs need from their shapes in contract/, never from the programs or tools themselves',
      severity: 'error',
      from: { path: layer('core') },
      to: { path: '^(streamer|webrtc|viewer|wall|origin-exporter|client|lab|bench|demo|test)/' },
    },
    {
      name: 'core-does-no-io',
      comment: 'core/ is pure: the shell (converge/, cli/) reads files, env and templates and passes them in',
      severity: 'error',
      from: { path: layer('core') },
      to: { path: io },
    },
    {
      name: 'core-imports-nothing-above',
      comment: 'core/ knows nothing of hosts, transports, the rollout or the command line',
      severity: 'error',
      from: { path: layer('core') },
      to: { path: layer('transport', 'facts', 'apply', 'converge', 'rollout', 'cli', 'bundle') },
    },
    {
      name: 'transport-imports-nothing-above',
      comment: 'transport/ carries scripts to a host and back; what the scripts mean is above it',
      severity: 'error',
      from: { path: layer('transport') },
      to: { path: layer('facts', 'apply', 'converge', 'rollout', 'cli', 'bundle') },
    },
    {
      name: 'facts-import-nothing-above',
      comment: 'facts/ reads a host; it neither changes one (apply/) nor drives a run',
      severity: 'error',
      from: { path: layer('facts') },
      to: { path: layer('apply', 'converge', 'rollout', 'cli', 'bundle') },
    },
    {
      name: 'apply-imports-nothing-above',
      comment: 'apply/ executes the plan it is given: it observes nothing (facts/) and drives no run',
      severity: 'error',
      from: { path: layer('apply') },
      to: { path: layer('facts', 'converge', 'rollout', 'cli', 'bundle') },
    },
    {
      name: 'converge-imports-no-rollout-or-cli',
      comment: 'converge/ runs one host; the rollout and the command line drive it, never the reverse',
      severity: 'error',
      from: { path: layer('converge') },
      to: { path: layer('rollout', 'cli', 'bundle') },
    },
    {
      name: 'rollout-is-generic',
      comment: 'rollout/ schedules any per-host run: it knows nothing of what a host run is, nor of the CLI',
      severity: 'error',
      from: { path: layer('rollout') },
      to: { path: layer('transport', 'facts', 'apply', 'converge', 'cli', 'bundle') },
    },
    {
      name: 'cli-imports-no-bundle',
      comment: 'bundle/ builds and starts the CLI; the CLI does not know how it was built',
      severity: 'error',
      from: { path: layer('cli') },
      to: { path: layer('bundle') },
    },
    {
      name: 'every-module-in-a-layer',
      comment: 'a module directly under provision/ belongs to no layer: put it in the folder of the layer that owns it',
      severity: 'error',
      from: { path: '^provision/[^/]+$' },
      to: {},
    },
    {
      name: 'tools-import-no-tests',
      comment: 'bench/ and lab/ are tools of their own; what tests and tools share lives in lab/',
      severity: 'error',
      from: { path: '^(bench|lab)/' },
      to: { path: '^test/' },
    },
    {
      name: 'pi-and-browser-programs-share-only-the-contract',
      comment: 'streamer/, webrtc/, viewer/, wall/ and origin-exporter/ are bundled for the Pi, the origin or the browser on their own: of the rest they import only contract/ (and the bundler, streamer/pi-bundle.ts)',
      severity: 'error',
      from: { path: '^(streamer|webrtc|viewer|wall|origin-exporter)/' },
      to: { path: '^(provision|client|lab|bench|demo|test)/' },
    },
    {
      name: 'provision-builds-the-programs-in-one-place',
      comment: 'the provisioner meets the programs it deploys only through their builds, in converge/artifacts.ts (and their shapes, in contract/)',
      severity: 'error',
      from: { path: '^provision/', pathNot: '^provision/converge/artifacts\\.ts$' },
      to: { path: '^(streamer|webrtc|viewer|wall|origin-exporter)/' },
    },
    {
      name: 'provision-imports-no-tools',
      comment: 'the operator tools (client/), the lab, the bench, the demo and the tests stand on the provisioner, never the reverse',
      severity: 'error',
      from: { path: '^provision/' },
      to: { path: '^(client|lab|bench|demo|test)/' },
    },
    {
      name: 'client-imports-no-lab',
      comment: "client/ is the operator's (viewer, probe, wall): it runs without the lab, the bench or the demo",
      severity: 'error',
      from: { path: '^client/' },
      to: { path: '^(lab|bench|demo|test)/' },
    },
    {
      name: 'lab-bench-demo-are-leaves',
      comment: 'nothing but the tests builds on the bench or the demo; the lab builds on neither',
      severity: 'error',
      from: { path: '^(contract|provision|streamer|webrtc|viewer|wall|origin-exporter|client|lab)/' },
      to: { path: '^(bench|demo)/' },
    },
    {
      name: 'no-circular',
      comment: 'a cycle is an arrow both ways',
      severity: 'error',
      from: { path: '^(contract|provision|streamer|webrtc|viewer|wall|origin-exporter|client|lab|bench|demo)/' },
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
