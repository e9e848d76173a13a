// Secrets are written in the inventory as references and resolved only when a host is rendered.
// A secret's value never enters a message: problems name the reference, not what it points to.
import { readFileSync } from 'node:fs';
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
  try {
    // One trailing newline is what editors and `echo` add; it is never part of the secret.
    return { ok: true, value: readFileSync(path, 'utf8').replace(/\r?\n$/, '') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    return { ok: false, message: `secret: cannot read file ${path} (${code})` };
  }
}
