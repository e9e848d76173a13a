// Unified diffs for the plan, with secrets masked: known secret values everywhere, and in files
// that hold secrets, the whole value of every setting that holds one now — so an old secret (a
// rotated key or passphrase is no longer a known secret) is masked by where it stood.
import { createTwoFilesPatch } from 'diff';
import { maskSecrets } from '../errors.ts';

const passphraseKeys = ['wpa_passphrase=', 'wpa_psk=', 'psk='];

/** The settings (each line's text up to its first `=` or `:`) that hold a secret in `content`. */
export function secretSettings(content: string, secrets: readonly string[]): string[] {
  const known = secrets.filter(Boolean);
  const keys = new Set(passphraseKeys);
  for (const line of content.split('\n')) {
    if (!known.some((s) => line.includes(s))) continue;
    const m = /^[^=:]*[=:]/.exec(line);
    if (m) keys.add(m[0]);
  }
  return [...keys];
}

export function maskContent(content: string, secrets: readonly string[], settings: readonly string[]): string {
  const masked = maskSecrets(content, secrets);
  if (!settings.length) return masked;
  return masked
    .split('\n')
    .map((line) => {
      const key = settings.find((k) => line.trimStart().startsWith(k.trimStart()));
      return key ? `${line.slice(0, line.indexOf(key.trimStart()) + key.trimStart().length)}********` : line;
    })
    .join('\n');
}

export function unifiedDiff(path: string, before: string | null, after: string, secrets: readonly string[], sensitive: boolean): string {
  const settings = sensitive ? secretSettings(after, secrets) : [];
  const a = before === null ? '' : maskContent(before, secrets, settings);
  const b = maskContent(after, secrets, settings);
  if (a === b) return sensitive && before !== after ? `(only secret values differ in ${path})\n` : '';
  return createTwoFilesPatch(before === null ? '/dev/null' : path, path, a, b, undefined, undefined, { context: 3 })
    .split('\n')
    .filter((line) => !/^=+$/.test(line)) // jsdiff's banner line
    .map((line) => (/^(---|\+\+\+) /.test(line) ? line.trimEnd() : line))
    .join('\n');
}
