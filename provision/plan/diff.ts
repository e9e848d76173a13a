// Unified diffs for the plan, with secrets masked: known secret values everywhere, and in files
// that hold secrets, the values of passphrase keys (an old passphrase is no longer a known secret).
import { createTwoFilesPatch } from 'diff';
import { maskSecrets } from '../errors.ts';

const secretKeys = /^(\s*(?:wpa_passphrase|wpa_psk|psk)\s*=\s*).+$/gm;

export function maskContent(content: string, secrets: readonly string[], sensitive: boolean): string {
  const masked = maskSecrets(content, secrets);
  return sensitive ? masked.replace(secretKeys, '$1********') : masked;
}

export function unifiedDiff(path: string, before: string | null, after: string, secrets: readonly string[], sensitive: boolean): string {
  const a = before === null ? '' : maskContent(before, secrets, sensitive);
  const b = maskContent(after, secrets, sensitive);
  if (a === b) return sensitive && before !== after ? `(only secret values differ in ${path})\n` : '';
  return createTwoFilesPatch(before === null ? '/dev/null' : path, path, a, b, undefined, undefined, { context: 3 })
    .split('\n')
    .filter((line) => !/^=+$/.test(line)) // jsdiff's banner line
    .map((line) => (/^(---|\+\+\+) /.test(line) ? line.trimEnd() : line))
    .join('\n');
}
