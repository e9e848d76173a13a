// The pure core (provision/core: inventory, render, plan) reads nothing from the process it runs in: the
// environment, the working directory, argv and the home directory come in as arguments from the
// shell. dependency-cruiser (npm run layers, part of npm test) checks its imports; a global such
// as process.env needs no import, so it is looked for here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const coreDir = 'provision/core';
const processState = /\bprocess\s*\.\s*(env|cwd|argv|chdir|exit|platform|stdout|stderr|stdin)\b|\bhomedir\s*\(|\bimport\.meta\b/;

function coreFiles(): string[] {
  return readdirSync(coreDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => join(coreDir, f));
}

describe('the pure core', () => {
  it('has modules to check', () => {
    expect(coreFiles().length).toBeGreaterThan(10);
  });

  it.each(coreFiles())('%s reads no process state', (file) => {
    const lines = readFileSync(file, 'utf8').split('\n');
    const offending = lines.flatMap((line, i) => (processState.test(line.replace(/\/\/.*$/, '')) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
    expect(offending).toEqual([]);
  });
});
