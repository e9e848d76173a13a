// Play a stream in a window with ffplay, tuned for latency rather than smoothness.
import { spawn } from 'node:child_process';
import { maskKey } from './url.ts';

/** ffplay's argv. Pure. */
export function ffplayArgs(url: string): string[] {
  return [
    // Start at once on a tiny probe; no -fflags nobuffer: it costs a GOP before the first frame.
    '-probesize', '32',
    '-analyzeduration', '0',
    '-flags', 'low_delay',
    '-tcp_nodelay', '1',
    // Drop late frames and follow the incoming clock instead of building a queue.
    '-framedrop',
    '-sync', 'ext',
    // The window title would otherwise show the full URL, key included.
    '-window_title', `camfleet ${maskKey(url)}`,
    '-loglevel', 'warning',
    url,
  ];
}

export const ffplayMissing = `ffplay was not found on PATH. It comes with ffmpeg:
  Debian/Ubuntu: sudo apt install ffmpeg
  Fedora:        sudo dnf install ffmpeg
  macOS:         brew install ffmpeg`;

/** Runs ffplay until the window closes; resolves with its exit code. */
export function viewStream(url: string, ffplay = 'ffplay'): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffplay, ffplayArgs(url), { stdio: 'inherit' });
    // Stopped by a signal that only reached us (kill, a script's timeout): ffplay goes too,
    // rather than playing on in a window nobody owns.
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    let forwarded = false;
    const forward = (signal: NodeJS.Signals): void => {
      forwarded = true;
      child.kill(signal);
    };
    for (const signal of signals) process.on(signal, forward);
    const cleanup = (): void => {
      for (const signal of signals) process.off(signal, forward);
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      cleanup();
      reject(e.code === 'ENOENT' ? new Error(ffplayMissing) : e);
    });
    child.once('close', (code, signal) => {
      cleanup();
      // Stopped through a signal we forwarded (ffplay then exits 123): the operator's choice, no failure.
      resolve(forwarded ? 0 : (code ?? (signal ? 1 : 0)));
    });
  });
}
