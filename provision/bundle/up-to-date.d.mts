// Types for up-to-date.mjs (plain JavaScript: the launcher runs it before anything is compiled).
export function stampFile(root: string): string;
export function sourceStamp(root: string): string;
export function distIsCurrent(root: string): boolean;
