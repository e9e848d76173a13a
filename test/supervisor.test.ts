// The supervisor's restart policy, in-process with short timings, against real ffmpeg and a real
// nginx-rtmp — and, to make ffmpeg fail fast while the port is open, a TCP server that hangs up.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultConfig } from '../streamer/config.ts';
import type { LogFields } from '../streamer/log.ts';
import { StatusReporter } from '../streamer/status.ts';
import { defaultTimings, Supervisor } from '../streamer/supervisor.ts';
import { startNginxRtmp, type NginxRtmp } from './support/nginx-rtmp.ts';

let nginx: NginxRtmp;
beforeAll(async () => {
  nginx = await startNginxRtmp();
});
afterAll(async () => {
  await nginx?.stop();
});

type Event = LogFields & { event: string; at: number };

async function until(events: Event[], match: (e: Event) => boolean, timeoutMs: number, from = 0): Promise<Event> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = events.slice(from).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out; events: ${events.map((e) => e.event).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A TCP server on `port` that hangs up on everyone: ffmpeg's RTMP handshake fails at once. */
function hangUpServer(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

it('backs off exponentially up to the cap while ffmpeg keeps failing, and afresh after a healthy run', async () => {
  const events: Event[] = [];
  const log = (event: string, fields: LogFields = {}): void => void events.push({ ...fields, event, at: Date.now() });
  const config = { ...defaultConfig, device: 'lavfi:testsrc2', width: 160, height: 120, fps: 10, gop: 10, bitrate: 100_000, encoder: 'libx264' as const, server: nginx.server, streamKey: 'policy' };
  const supervisor = new Supervisor({
    config,
    log,
    status: new StatusReporter('', log),
    timings: { backoffInitialMs: 100, backoffMaxMs: 400, healthyMs: 1500, devicePollMs: 100 },
  });
  const running = supervisor.run();
  try {
    await until(events, (e) => e.event === 'streaming', 15_000);

    // Something that is not nginx-rtmp takes the port: every ffmpeg fails within moments.
    await nginx.kill();
    const impostor = await hangUpServer(nginx.port);
    await until(events, (e) => e.event === 'ffmpeg-exited' && e.restarts === 6, 20_000);
    const retries = events.filter((e) => e.event === 'ffmpeg-exited').map((e) => e.retryInMs);
    // Doubling from the initial delay, held at the cap.
    expect(retries.slice(0, 6)).toEqual([100, 200, 400, 400, 400, 400]);
    // The delays were really slept: the restarts are spread out, not a tight loop.
    const starts = events.filter((e) => e.event === 'ffmpeg-start').map((e) => e.at);
    expect((starts.at(-1) ?? 0) - (starts[1] ?? 0)).toBeGreaterThanOrEqual(100 + 200 + 400 + 400 + 400 - 50);

    // nginx-rtmp back: streaming again, for longer than healthyMs; then cut again. The delay,
    // at its cap before, starts afresh.
    await new Promise<void>((r) => impostor.close(() => r()));
    await nginx.restart();
    const mark = events.length;
    await until(events, (e) => e.event === 'streaming', 15_000, mark);
    await new Promise((r) => setTimeout(r, 1800));
    await nginx.kill();
    const exited = await until(events, (e) => e.event === 'ffmpeg-exited', 10_000, mark);
    expect(Number(exited.streamedMs)).toBeGreaterThanOrEqual(1500);
    expect(exited.retryInMs).toBe(100);
    await nginx.restart();
  } finally {
    await supervisor.stop();
    await running;
  }
  expect(events.at(-1)?.event).toBe('stopped');
  // Many restarts, one copy of the (unchanging) command in the journal.
  expect(events.filter((e) => e.event === 'ffmpeg-start' && e.args !== undefined)).toHaveLength(1);
});

it('notices within a few seconds an ffmpeg that is alive but sends nothing (SIGSTOP), and replaces it', async () => {
  const events: Event[] = [];
  const log = (event: string, fields: LogFields = {}): void => void events.push({ ...fields, event, at: Date.now() });
  const config = { ...defaultConfig, device: 'lavfi:testsrc2', width: 160, height: 120, fps: 10, gop: 10, bitrate: 100_000, encoder: 'libx264' as const, server: nginx.server, streamKey: 'stall' };
  // The default stall timing: that is what is promised.
  const supervisor = new Supervisor({ config, log, status: new StatusReporter('', log), timings: { backoffInitialMs: 100 } });
  const running = supervisor.run();
  try {
    await until(events, (e) => e.event === 'streaming', 15_000);
    const started = events.find((e) => e.event === 'ffmpeg-start')!;
    const stoppedAt = Date.now();
    process.kill(Number(started.pid), 'SIGSTOP');
    const stalled = await until(events, (e) => e.event === 'ffmpeg-stalled', 15_000);
    expect(stalled.at - stoppedAt).toBeLessThan(defaultTimings.stallMs + 1500);
    const exited = await until(events, (e) => e.event === 'ffmpeg-exited', 5000);
    // It went at SIGTERM (ffmpeg traps it and exits), once let run again: no SIGKILL needed.
    expect(exited.signal).not.toBe('SIGKILL');
    expect(exited.at - stalled.at).toBeLessThan(defaultTimings.stopGraceMs);
    const again = await until(events, (e) => e.event === 'streaming', 15_000, events.indexOf(exited));
    console.log(`ffmpeg stopped: replaced and streaming again after ${again.at - stoppedAt} ms`);
  } finally {
    await supervisor.stop();
    await running;
  }
});
