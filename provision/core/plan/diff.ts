// Unified diffs for the plan, with secrets masked: known secret values everywhere, and in files
// that hold secrets, the whole value of every setting that holds one now — so an old secret (a
// rotated key or passphrase is no longer a known secret) is masked by where it stood. A file
// whose secret stands on a line of its own, with no setting name (the stream key file), has every
// such bare line masked.
import { createTwoFilesPatch } from 'diff';
import { maskSecrets } from '../errors.ts';

const passphraseKeys = ['wpa_passphrase=', 'wpa_psk=', 'psk='];

/** The "setting" of a line that is only a value: no `=` or `:`, not a `#` comment, not blank. */
const bareLine = '';
const isBare = (line: string): boolean => !/[=:]/.test(line) && !line.trimStart().startsWith('#') && line.trim() !== '';

/** The settings (each line's text up to its first `=` or `:`, or bareLine) that hold a secret in `content`. */
export function secretSettings(content: string, secrets: readonly string[]): string[] {
  const known = secrets.filter(Boolean);
  const keys = new Set(passphraseKeys);
  for (const line of content.split('\n')) {
    if (!known.some((s) => line.includes(s))) continue;
    const m = /^[^=:]*[=:]/.exec(line);
    if (m) keys.add(m[0]);
    else if (isBare(line)) keys.add(bareLine);
  }
  return [...keys];
}

export function maskContent(content: string, secrets: readonly string[], settings: readonly string[]): string {
  const masked = maskSecrets(content, secrets);
  if (!settings.length) return masked;
  return masked
    .split('\n')
    .map((line) => {
      if (isBare(line)) return settings.includes(bareLine) ? '********' : line;
      const key = settings.find((k) => k !== bareLine && line.trimStart().startsWith(k.trimStart()));
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
