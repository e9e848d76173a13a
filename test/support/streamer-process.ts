// The real streamer as a child process: lives in lab/ since the benchmarks run it too (bench/ may
// not import test/); tests import it from here as before.
export * from '../../lab/streamer-process.ts';
