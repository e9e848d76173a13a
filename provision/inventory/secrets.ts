// Secrets are written in the inventory as references and resolved only when a host is rendered.
// A secret's value never enters a message: problems name the reference, not what it points to.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

export type SecretRef = { env: string } | { file: string };

export function isSecretRef(value: unknown): value is SecretRef {
  return typeof value === 'object' && value !== null && ('env' in value || 'file' in value);
}

export type SecretResult = { ok: true; value: string } | { ok: false; message: string };

export function resolveSecret(ref: SecretRef, inventoryDir: string, env: NodeJS.ProcessEnv): SecretResult {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined || value === '') return { ok: false, message: `secret: environment variable ${ref.env} is not set` };
    return { ok: true, value };
  }
  const path = isAbsolute(ref.file) ? ref.file : resolve(inventoryDir, ref.file);
  const read = readSecretFile(path);
  if (!read.ok) return { ok: false, message: `secret: file ${path} ${read.message}` };
  // One trailing newline is what editors and `echo` add; it is never part of the secret.
  return { ok: true, value: read.value.replace(/\r?\n$/, '') };
}

/** A passphrase or a key is short; anything bigger is the wrong file. */
export const maxSecretBytes = 4096;

/**
 * Read a secret file: a regular file (a FIFO or a device would block or never end; opened
 * non-blocking and checked before reading), at most 4 KiB, valid UTF-8.
 */
function readSecretFile(path: string): SecretResult {
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
