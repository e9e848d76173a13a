// A simulated fleet: N SSH servers on loopback (ssh2's server side, a real SSH implementation),
// each with its own host key, listed in a known_hosts file camfleet checks strictly, each
// accepting only the fleet's operator key and answering camfleet's observe script with the
// recorded answer of a converged lab Pi. Anything else it is sent fails, loudly.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server as Listener } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { stringify } from 'yaml';
import { loadInventory } from '../../provision/converge/load-inventory.ts';
import { loadRenderInputs } from '../../provision/converge/render-inputs.ts';
import { renderHost } from '../../provision/core/render/render.ts';
import { coalesceWrites } from '../../provision/transport/tcp.ts';
import { readRecording, replayAnswer, scriptHash, type Recording } from './recording.ts';

const { Server, utils } = ssh2;

/** The settings every simulated host (and the lab Pi whose answer they replay) is provisioned with. */
export const simHostSettings = {
  camera: { device: 'lavfi:testsrc2', resolution: '160x120', fps: 5, bitrate: '100k', encoder: 'libx264' },
  hotspot: { mode: 'none' },
} as const;

export const simPort = 2022;

/** Host k (from 1) listens on its own loopback address: the inventory allows no shared address. */
export function simAddress(k: number): string {
  return `127.66.${Math.floor((k - 1) / 250)}.${((k - 1) % 250) + 2}`;
}

export interface SimHost {
  name: string;
  address: string;
  port: number;
  privateKey: string;
  publicKey: string;
}

export interface SimFleetFiles {
  dir: string;
  hosts: SimHost[];
  knownHosts: string;
  identityFile: string;
  /** The inventory of the first n hosts (written on first ask). */
  inventory(n: number): string;
}

/** Keys, known_hosts and inventories for `count` simulated hosts in `dir`. */
export function writeSimFleetFiles(dir: string, count: number, port = simPort): SimFleetFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const operator = ed25519KeyPair('camfleet-sim-operator');
  const identityFile = join(dir, 'id_ed25519');
  writeFileSync(identityFile, operator.private, { mode: 0o600 });
  writeFileSync(`${identityFile}.pub`, `${operator.public}\n`);
  const hosts: SimHost[] = Array.from({ length: count }, (_, i) => {
    const key = ed25519KeyPair();
    return { name: `sim${i + 1}`, address: simAddress(i + 1), port, privateKey: key.private, publicKey: key.public };
  });
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, hosts.map((h) => `[${h.address}]:${h.port} ${h.publicKey}\n`).join(''), { mode: 0o600 });
  const written = new Map<number, string>();
  const inventory = (n: number): string => {
    if (n > count) throw new Error(`the simulated fleet has ${count} hosts, not ${n}`);
    const file = written.get(n) ?? join(dir, `inventory-${n}.yaml`);
    if (!written.has(n)) {
      const doc = {
        defaults: { ssh: { user: 'pi', identityFile, knownHostsFile: knownHosts }, ...simHostSettings },
        hosts: Object.fromEntries(hosts.slice(0, n).map((h) => [h.name, { address: h.address, ssh: { port: h.port } }])),
      };
      writeFileSync(file, `# A simulated fleet (lab/sim): loopback SSH servers replaying a converged lab Pi.\n${stringify(doc)}`);
      written.set(n, file);
    }
    return file;
  };
  return { dir, hosts, knownHosts, identityFile, inventory };
}

/**
 * ssh2's key generator drops a leading zero byte of an ed25519 key (about one key in 256), and
 * ssh2 itself then rejects the key as malformed: such a key is generated again.
 */
function ed25519KeyPair(comment?: string): { private: string; public: string } {
  for (;;) {
    const key = utils.generateKeyPairSync('ed25519', comment ? { comment } : undefined);
    if (!(utils.parseKey(key.private) instanceof Error)) return key;
  }
}

export interface SimFleet {
  files: SimFleetFiles;
  stats(): { connections: number; answered: number; refused: number };
  close(): Promise<void>;
}

/**
 * Check the recording against today's camfleet (throws StaleRecordingError), then listen.
 * Needs about one file descriptor per host plus two per connection in flight.
 */
export async function startSimFleet(dir: string, count: number, options: { port?: number; recording?: Recording } = {}): Promise<SimFleet> {
  const files = writeSimFleetFiles(dir, count, options.port);
  const recording = options.recording ?? readRecording();
  const answers = await expectedAnswers(files, recording);
  const observeHash = recording.observeScriptSha256;
  const operatorKey = utils.parseKey(readFileSync(`${files.identityFile}.pub`, 'utf8'));
  if (operatorKey instanceof Error) throw operatorKey;
  const counts = { connections: 0, answered: 0, refused: 0 };

  const listeners = files.hosts.map((host) => {
    const server = new Server({ hostKeys: [host.privateKey], ident: 'OpenSSH_9.2p1 camfleet-sim' }, (client) => {
      counts.connections++;
      client.on('error', () => {}); // a client that hangs up mid-handshake is not the harness's failure
      client.on('authentication', (ctx) => {
        if (ctx.method !== 'publickey' || ctx.username !== 'pi') return ctx.reject(['publickey']);
        const offered = ctx.key;
        const ours = operatorKey.getPublicSSH();
        if (offered.algo !== operatorKey.type || offered.data.length !== ours.length || !timingSafeEqual(offered.data, ours)) return ctx.reject(['publickey']);
        // Without a signature the client only asks whether this key would do; with one, it must verify.
        if (!ctx.signature || operatorKey.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
        ctx.reject(['publickey']);
      });
      client.on('ready', () => {
        client.on('session', (acceptSession) => {
          acceptSession().on('exec', (acceptExec, _reject, info) => {
            const channel = acceptExec();
            const chunks: Buffer[] = [];
            channel.on('data', (d: Buffer) => chunks.push(d));
            channel.on('end', () => {
              const script = Buffer.concat(chunks).toString('utf8');
              const isShell = /^(sudo -n )?\/bin\/sh -s( |$)/.test(info.command);
              if (isShell && scriptHash(script) === observeHash) {
                counts.answered++;
                const answer = answers.get(host.name)!;
                if (answer.stdout) channel.write(answer.stdout);
                if (answer.stderr) channel.stderr.write(answer.stderr);
                channel.exit(answer.code);
              } else {
                counts.refused++;
                channel.stderr.write(
                  `simulated Pi ${host.name}: no recorded answer for ${isShell ? 'this script' : `the command '${info.command}'`}; ` +
                    `it answers only camfleet's observe step, as a converged Pi\n`,
                );
                channel.exit(1);
              }
              channel.end();
            });
          });
        });
      });
    });
    // The harness answers as fast as it can, so that the time measured is camfleet's: no Nagle
    // delay on its replies, and what ssh2 writes in one tick leaves in one segment.
    const listener = createServer({ noDelay: true }, (socket) => server.injectSocket(coalesceWrites(socket)));
    return new Promise<Listener>((resolve, reject) => {
      listener.once('error', (e: NodeJS.ErrnoException) =>
        reject(e.code === 'EMFILE' ? new Error(`out of file descriptors at ${host.name}: raise the limit (ulimit -n ${count * 2 + 256})`) : e),
      );
      listener.listen(host.port, host.address, () => resolve(listener));
    });
  });
  const listening = await Promise.allSettled(listeners);
  const failed = listening.find((r) => r.status === 'rejected');
  const up = listening.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const close = () => Promise.all(up.map((s) => new Promise((r) => s.close(r)))).then(() => {});
  if (failed) {
    await close();
    throw (failed as PromiseRejectedResult).reason;
  }
  return { files, stats: () => ({ ...counts }), close };
}

/**
 * Render every simulated host as camfleet will, and each one's answer to the observe script it
 * will send: a file may name its host (the viewer page does), so checksums differ per host.
 */
async function expectedAnswers(files: SimFleetFiles, recording: Recording): Promise<Map<string, Recording['answer']>> {
  const inputs = await loadRenderInputs();
  const { hosts } = await loadInventory(files.inventory(files.hosts.length));
  return new Map(hosts.map((host) => [host.name, replayAnswer(recording, renderHost(host, inputs))]));
}
