// systemd's side of the streamer (Type=notify): READY=1 once it is up, so `systemctl start` returns
// when it has started and the watchdog (WatchdogSec=) runs from there, however slow the Pi's Node
// start-up; then WATCHDOG=1 pings, and systemd kills and restarts a streamer that stops sending
// them — a hung event loop, a process stopped by a signal. The supervisor catches a stuck ffmpeg;
// this catches a stuck supervisor.
//
// The pings come from a timer on the event loop, so they stop exactly when the loop stops. Node has
// no AF_UNIX datagram socket for $NOTIFY_SOCKET, so each message runs `systemd-notify` (systemd's
// own client; a few milliseconds every few seconds). It is a child process, hence NotifyAccess=all
// in the unit; it waits until systemd has read the message (systemd >= 246), so systemd still
// knows which unit the short-lived sender belonged to.
import { spawn } from 'node:child_process';
import type { Logger } from './log.ts';

export interface WatchdogOptions {
  env?: NodeJS.ProcessEnv;
  log: Logger;
  /** The notifier to run; systemd's own by default. */
  notify?: string;
}

/**
 * Tell systemd the streamer is ready and, when it asked for a watchdog (WATCHDOG_USEC set for this
 * process), keep pinging it; returns a stop function. Outside systemd (no $NOTIFY_SOCKET) nothing.
 */
export function startWatchdog(options: WatchdogOptions): () => void {
  const env = options.env ?? process.env;
  if (!env.NOTIFY_SOCKET) return () => {};
  const usec = Number(env.WATCHDOG_USEC);
  const watchdog = usec > 0 && (!env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === process.pid);
  // Three pings per period: one late or lost ping is never fatal. READY=1 goes with each until
  // systemd has taken one (a lost one would leave the start to time out).
  const everyMs = watchdog ? Math.max(500, Math.floor(usec / 1000 / 3)) : 2000;
  let ready = false;
  let failures = 0;
  const failed = (detail: Record<string, unknown>): void => {
    if (failures++ === 0) options.log('watchdog-ping-failed', detail);
  };
  const send = (): void => {
    const child = spawn(options.notify ?? 'systemd-notify', [...(ready ? [] : ['READY=1']), ...(watchdog ? ['WATCHDOG=1'] : [])], { stdio: 'ignore', env });
    // systemd-notify waits for systemd at most a few seconds; never let one pile up behind another.
    const timer = setTimeout(() => child.kill('SIGKILL'), everyMs);
    child.once('error', (e) => failed({ error: e.message }));
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) ready = true;
      else if (code !== null) failed({ code });
      if (ready && !watchdog) clearInterval(interval);
    });
  };
  if (watchdog) options.log('watchdog', { everyMs, timeoutMs: Math.round(usec / 1000) });
  const interval = setInterval(send, everyMs);
  interval.unref();
  send();
  return () => clearInterval(interval);
}
