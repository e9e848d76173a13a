// Secrets are written in the inventory as references and resolved only when a host is rendered.
// A secret's value never enters a message: problems name the reference, not what it points to.
// Pure: the environment and a way to read a secret file come in from the shell (load-inventory.ts).
import { isAbsolute, resolve } from 'node:path';

export type SecretRef = { env: string } | { file: string };

export function isSecretRef(value: unknown): value is SecretRef {
  return typeof value === 'object' && value !== null && ('env' in value || 'file' in value);
}

export type SecretResult = { ok: true; value: string } | { ok: false; message: string };

/** Where secret values come from. */
export interface SecretSources {
  env: Readonly<Record<string, string | undefined>>;
  /** A file's whole text, or what is wrong with it ("cannot be read (ENOENT)"). Absent: no file can be read. */
  readFile?: (path: string) => SecretResult;
}

export function resolveSecret(ref: SecretRef, inventoryDir: string, sources: SecretSources): SecretResult {
  if ('env' in ref) {
    const value = sources.env[ref.env];
    if (value === undefined || value === '') return { ok: false, message: `secret: environment variable ${ref.env} is not set` };
    return { ok: true, value };
  }
  const path = isAbsolute(ref.file) ? ref.file : resolve(inventoryDir, ref.file);
  const read = sources.readFile?.(path) ?? { ok: false, message: 'cannot be read (no file access here)' };
  if (!read.ok) return { ok: false, message: `secret: file ${path} ${read.message}` };
  // One trailing newline is what editors and `echo` add; it is never part of the secret.
  const value = read.value.replace(/\r?\n$/, '');
  // Like an empty variable: no secret is empty, and an empty key would only be refused on the Pi.
  if (value === '') return { ok: false, message: `secret: file ${path} is empty` };
  return { ok: true, value };
}
