// bootstrap's shell: reads the operator's public key and the card, generates the Pi's host key
// with ssh-keygen, writes the first-boot files, and only then pins the key in known_hosts. Every
// host of a run is planned before anything is written: one refusal writes nothing at all.
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { planCard, seedNames, type CardContents } from '../core/bootstrap/card.ts';
import type { CardFile, CardFormat, FirstBoot } from '../core/bootstrap/first-boot.ts';
import { cmdlineHook } from '../core/bootstrap/firstrun.ts';
import { checkHostKey, checkPublicKey, type HostKeyPair } from '../core/bootstrap/values.ts';
import type { ResolvedHost } from '../core/types.ts';
import { pinKnownKey } from '../transport/known-hosts.ts';
import { writeFileWhole } from '../transport/whole-file.ts';

/** A refusal: where (the host, the card's path) and what; nothing was written. */
export class CardError extends Error {
  override name = 'CardError';
}

export interface CardTarget {
  host: ResolvedHost;
  /** The mounted boot partition (--boot) or a folder of its own under --out. */
  dir: string;
  /** --out: a folder to copy onto a card later, not a card itself. */
  folder: boolean;
}

export interface CardResult {
  host: string;
  dir: string;
  format: CardFormat;
  written: string[];
  fingerprint: string;
  knownHostsFile: string;
}

interface Planned {
  target: CardTarget;
  format: CardFormat;
  files: CardFile[];
  hostKey: HostKeyPair;
}

export async function bootstrapCards(targets: readonly CardTarget[], o: { format?: CardFormat; force?: boolean }): Promise<CardResult[]> {
  const planned: Planned[] = [];
  for (const target of targets) planned.push(await planOne(target, o));
  const results: CardResult[] = [];
  for (const p of planned) {
    await mkdir(p.target.dir, { recursive: true });
    // Each file lands whole, so a pulled card never holds half a user-data.
    for (const f of p.files) await writeFileWhole(join(p.target.dir, f.name), f.content, f.secret ? 0o600 : 0o644);
    const [type, blob] = p.hostKey.publicKey.split(' ') as [string, string];
    const { host } = p.target;
    await pinKnownKey(host.ssh.knownHostsFile, host.address, host.ssh.port, type, blob);
    results.push({
      host: host.name,
      dir: p.target.dir,
      format: p.format,
      written: p.files.map((f) => f.name),
      fingerprint: `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`,
      knownHostsFile: host.ssh.knownHostsFile,
    });
  }
  return results;
}

async function planOne(target: CardTarget, o: { format?: CardFormat; force?: boolean }): Promise<Planned> {
  const { host } = target;
  const authorizedKey = await operatorKey(host);
  const card = await readCard(target);
  // Made in a temp dir removed whatever happens; it reaches a card and known_hosts only once every host is planned.
  const hostKey = await generateHostKey(host.name);
  const fb: FirstBoot = { host, authorizedKey, hostKey, instanceId: `camfleet-${host.name}-${randomBytes(6).toString('hex')}` };
  const plan = planCard(card, fb, { format: o.format, force: o.force });
  if (!plan.ok) throw new CardError(`${host.name}: ${target.dir} ${plan.fault}`);
  if (!target.folder) return { target, format: plan.format, files: plan.files, hostKey };
  // A folder to copy: firstrun's cmdline.txt is the card's own, so the line to append is written instead.
  const files = plan.files.filter((f) => f.name !== 'cmdline.txt');
  if (plan.format === 'firstrun') files.push({ name: 'cmdline-append.txt', content: `${cmdlineHook}\n`, secret: false });
  return { target, format: plan.format, files, hostKey };
}

async function operatorKey(host: ResolvedHost): Promise<string> {
  const file = host.ssh.publicKeyFile ?? (host.ssh.identityFile ? `${host.ssh.identityFile}.pub` : undefined);
  if (!file) throw new CardError(`${host.name}: no public key to install: set ssh.publicKeyFile (or ssh.identityFile, with its .pub beside it)`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CardError(`${host.name}: no public key to install: ${file} cannot be read (${(e as NodeJS.ErrnoException).code}); set ssh.publicKeyFile`);
  }
  const checked = checkPublicKey(text);
  if (!checked.ok) throw new CardError(`${host.name}: ${file} ${checked.fault}`);
  return checked.key;
}

const wanted = [...seedNames, 'firstrun.sh', 'cmdline.txt'] as const;

async function readCard(target: CardTarget): Promise<CardContents> {
  let names: Set<string>;
  try {
    if (!(await stat(target.dir)).isDirectory()) throw new CardError(`${target.host.name}: ${target.dir} is not a folder`);
    names = new Set(await readdir(target.dir));
  } catch (e) {
    if (e instanceof CardError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    // An --out folder is made; a card must be there, mounted.
    if (target.folder && code === 'ENOENT') names = new Set();
    else throw new CardError(`${target.host.name}: ${target.dir} cannot be read (${code}): is the card's boot partition mounted there?`);
  }
  const text: CardContents['text'] = {};
  for (const name of wanted) if (names.has(name)) text[name] = await readFile(join(target.dir, name), 'utf8');
  // A folder under --out stands in for a card's boot partition.
  if (target.folder) {
    names.add('config.txt');
    text['cmdline.txt'] ??= '';
  }
  return { names, text };
}

async function generateHostKey(name: string): Promise<HostKeyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'camfleet-hostkey-'));
  try {
    const path = join(dir, 'ssh_host_ed25519_key');
    await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${name}`, '-f', path]);
    const privateKey = await readFile(path, 'utf8');
    const publicKey = (await readFile(`${path}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
    const pair = { privateKey, publicKey };
    checkHostKey(pair);
    return pair;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
