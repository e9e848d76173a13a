// Read an inventory from disk, with what resolving it needs from this machine: the environment
// and secret files its secrets refer to, and the home directory `~/` stands for. The one entry
// point the CLI, the client and the tools use; validating and resolving is the pure core's
// (core/inventory/load.ts).
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { InventoryError } from '../core/errors.ts';
import { parseAndResolve, type Inventory, type LoadOptions } from '../core/inventory/load.ts';
import type { SecretResult } from '../core/inventory/secrets.ts';

export type { Inventory } from '../core/inventory/load.ts';

/** Far above any real fleet (1,000 hosts are ~100 KB), low enough that a mistaken file fails at once. */
export const maxInventoryBytes = 8 * 1024 * 1024;

export async function loadInventory(path: string, options: Pick<LoadOptions, 'only' | 'select' | 'env' | 'firstBoot'> = {}): Promise<Inventory> {
  const display = relative(process.cwd(), path) || path;
  let bytes: Buffer;
  try {
    const kind = await stat(path);
    if (!kind.isFile()) throw Object.assign(new Error(), { code: 'not a regular file' });
    if (kind.size > maxInventoryBytes) throw Object.assign(new Error(), { code: `${kind.size} bytes; at most ${maxInventoryBytes} are read` });
    bytes = await readFile(path);
  } catch (e) {
    throw new InventoryError([{ file: display, message: `cannot read inventory (${(e as NodeJS.ErrnoException).code})` }]);
  }
  return parseAndResolve(display, decodeUtf8(display, bytes), dirname(resolve(path)), {
    ...options,
    env: options.env ?? process.env,
    readSecretFile,
    homeDir: homedir(),
  });
}

/** The file as text; a byte that is not UTF-8 is an error at its place, never silently U+FFFD. */
function decodeUtf8(file: string, bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const lenient = new TextDecoder('utf-8').decode(bytes);
    const at = lenient.indexOf('\uFFFD');
    const before = lenient.slice(0, Math.max(0, at));
    const line = before.split('\n').length;
    const col = at - before.lastIndexOf('\n');
    throw new InventoryError([{ file, line, col, message: 'is not UTF-8 text: an invalid byte sequence starts here' }]);
  }
}

/** A passphrase or a key is short; anything bigger is the wrong file. */
export const maxSecretBytes = 4096;

/**
 * Read a secret file: a regular file (a FIFO or a device would block or never end; opened
 * non-blocking and checked before reading), at most 4 KiB, valid UTF-8. What is wrong with it is
 * said without a byte of it.
 */
export function readSecretFile(path: string): SecretResult {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    return { ok: false, message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})` };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ok: false, message: 'is not a regular file' };
    if (stat.size > maxSecretBytes) return { ok: false, message: `is ${stat.size} bytes; a secret file holds at most ${maxSecretBytes}` };
    const buffer = Buffer.alloc(stat.size);
    const length = readSync(fd, buffer, 0, stat.size, 0);
    try {
      return { ok: true, value: new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length)) };
    } catch {
      return { ok: false, message: 'is not UTF-8 text' };
    }
  } finally {
    closeSync(fd);
  }
}
