// The one place a value becomes shell text for the first-boot script (firstrun.sh, cloud-init's
// runcmd): every value is single-quoted whole, so nothing in it is ever read by the shell.

/** `value` as one shell word. A NUL cannot be passed to a program at all: refused. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL byte cannot be passed through the shell');
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A command line of quoted words. */
export const shellCommand = (...words: string[]): string => words.map(shellQuote).join(' ');
