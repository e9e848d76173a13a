// npm run demo: camfleet end to end on this machine, with a lab Pi standing in for a real one.
// Installs what is missing (or says what to install), boots a lab Pi, provisions it with live
// progress, probes its stream, prints the URL to play, and proves a second run changes nothing.
import { spawnSync } from 'node:child_process';
import { relative } from 'node:path';
import { hostUrls } from '../client/url.ts';
import { containerUp } from '../lab/container.ts';
import { hasApt, installPackages, missingPackages } from '../lab/host-packages.ts';
import { checkPackages } from '../provision/core/parts/parts.ts';
import { labInventory } from '../lab/state.ts';

const root = new URL('..', import.meta.url).pathname;
const step = (n: number, text: string) => console.log(`\n\x1b[1m[${n}/5] ${text}\x1b[0m`);
const fail = (text: string): never => {
  console.error(`\ndemo: ${text}`);
  process.exit(1);
};

/** The Debian packages the demo needs: the container lab Pi, ssh, ffprobe, and what validating the
 * parts' files locally takes (render runs nginx -t with the RTMP module): named by the parts. */
const needs = ['systemd-container', 'debootstrap', 'iproute2', 'openssh-client', 'ffmpeg', ...checkPackages];

function run(args: string[], what: string): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail(`${what} failed (exit ${r.status}); see above`);
}

step(1, 'checking what this machine needs');
if (process.getuid?.() !== 0) fail('the lab Pi needs root (network namespaces, mounts, systemd-nspawn): run `sudo npm run demo`');
if (!hasApt()) fail('the lab Pi is built from Debian packages with apt: run the demo on Debian bookworm');
const missing = missingPackages(needs);
if (missing.length) {
  console.log(`installing ${missing.join(' ')} from Debian's repositories`);
  if (!installPackages(missing)) fail(`could not install them; install by hand: apt-get install ${missing.join(' ')}`);
} else console.log('all there');

step(2, 'booting a lab Pi (Debian bookworm with systemd and sshd; the first run builds its image, a few minutes)');
const [pi] = await containerUp({ hosts: 1, layer: 'base', log: (l) => console.log(`  ${l}`) });
if (!pi) fail('no lab Pi came up');
const inventory = relative(process.cwd(), labInventory) || labInventory;

step(3, `provisioning ${pi!.name}: npm run provision -- --inventory ${inventory} --host ${pi!.name}`);
run(['provision/cli/main.ts', 'provision', '--inventory', labInventory, '--host', pi!.name], 'provisioning');

step(4, 'probing the stream and the viewer page from here');
run(['client/cli.ts', 'probe', '--inventory', labInventory, '--host', pi!.name, '--seconds', '3', '--timeout', '30'], 'the probe');
// The URLs as the inventory gives them; the lab's stream key is no secret, so it is shown in full.
const { rtmp: url, page } = await hostUrls(labInventory, pi!.name);
// Most people watch in a browser: the page is checked to answer before it is offered.
if (page) {
  const answer = await fetch(page, { signal: AbortSignal.timeout(10_000) }).catch((e: Error) => e);
  if (answer instanceof Error || !answer.ok) fail(`the viewer page ${page} did not answer: ${answer instanceof Error ? answer.message : `HTTP ${answer.status}`}`);
  console.log(`the viewer page answers at ${page}`);
}

step(5, 'provisioning again: nothing to change');
run(['provision/cli/main.ts', 'provision', '--inventory', labInventory, '--host', pi!.name], 'the second run');

const name = pi!.name;
console.log(`
Done. ${name} is streaming.
${page ? `  watch it:  ${page}   in a browser here (WebRTC, HLS fallback)\n` : ''}  play RTMP:  ${url}
             npm run view -- --inventory ${inventory} --host ${name}   (or ffplay / VLC / OBS with that URL)
  phones:    npm run status -- --inventory ${inventory} --host ${name} --qr   (QR codes to scan: the Pi's hotspot, if it has one, and its page)
  status:    npm run status -- --inventory ${inventory} --all
  log in:    npm run lab -- ssh ${name}
The lab Pi is left running. Stop it with: npm run lab -- down`);
