// Moved to lab/browser.ts (the benchmarks drive chromium too); kept so tests importing it here still work.
export * from '../../lab/browser.ts';
