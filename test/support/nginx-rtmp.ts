// A real nginx-rtmp on loopback: lives in lab/ since the benchmarks start one too (bench/ may not
// import test/); tests import it from here as before.
export * from '../../lab/nginx-rtmp.ts';
export { freePort } from '../../lab/processes.ts';
