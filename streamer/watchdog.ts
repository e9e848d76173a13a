// systemd's watchdog: the unit sets WatchdogSec=, and systemd kills and restarts a streamer that
// stops saying it is alive — a hung event loop, a process stopped by a signal. The supervisor
// catches a stuck ffmpeg; this catches a stuck supervisor.
//
// The ping comes from a timer on the event loop, so it stops exactly when the loop stops. Node has
// no AF_UNIX datagram socket for $NOTIFY_SOCKET, so each ping runs `systemd-notify WATCHDOG=1`
// (systemd's own client; a few milliseconds every few seconds). It is a child process, hence
// NotifyAccess=all in the unit; it waits until systemd has read the message (systemd >= 246), so
// systemd still knows which unit the short-lived sender belonged to.
import { spawn } from 'node:child_process';
import type { Logger } from './log.ts';

export interface WatchdogOptions {
  env?: NodeJS.ProcessEnv;
  log: Logger;
  /** The notifier to run; systemd's own by default. */
  notify?: string;
}

/** Start pinging when systemd asked for it (WATCHDOG_USEC set for this process); returns a stop function. */
export function startWatchdog(options: WatchdogOptions): () => void {
  const env = options.env ?? process.env;
  const usec = Number(env.WATCHDOG_USEC);
  const forUs = !env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === process.pid;
  if (!(usec > 0) || !forUs || !env.NOTIFY_SOCKET) return () => {};
  // Three pings per period: one late or lost ping is never fatal.
  const everyMs = Math.max(500, Math.floor(usec / 1000 / 3));
  let failures = 0;
  const ping = (): void => {
    const child = spawn(options.notify ?? 'systemd-notify', ['WATCHDOG=1'], { stdio: 'ignore', env });
    // systemd-notify waits for systemd at most a few seconds; never let one pile up behind another.
    const timer = setTimeout(() => child.kill('SIGKILL'), everyMs);
    child.once('error', (e) => {
      if (failures++ === 0) options.log('watchdog-ping-failed', { error: e.message });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code !== 0 && code !== null && failures++ === 0) options.log('watchdog-ping-failed', { code });
    });
  };
  options.log('watchdog', { everyMs, timeoutMs: Math.round(usec / 1000) });
  ping();
  const interval = setInterval(ping, everyMs);
  interval.unref();
  return () => clearInterval(interval);
}
