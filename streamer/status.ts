// The status file `provision --check` and `camfleet status` read over SSH: small JSON, replaced
// atomically (temp file + rename) so a reader never sees half of it.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StreamerStatus } from '../contract/streamer-status.ts';
import type { Logger, Redactor } from './log.ts';

/** Write `status` to `path` atomically. Throws on I/O errors. */
export function writeStatusFile(path: string, status: StreamerStatus, redact: Redactor = (t) => t): void {
  const temp = `${path}.${process.pid}.tmp`;
  // ffmpeg's errors name the RTMP URL, and the status file is world-readable: mask the key.
  writeFileSync(temp, `${redact(JSON.stringify(status, null, 2))}\n`, { mode: 0o644 });
  renameSync(temp, path);
}

/** Holds the current status and rewrites the file on each change; I/O errors are logged once. */
export class StatusReporter {
  private current: StreamerStatus;
  private failed = false;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
    private readonly redact: Redactor = (t) => t,
  ) {
    const now = new Date().toISOString();
    this.current = {
      state: 'starting',
      encoder: null,
      encoderReason: null,
      restarts: 0,
      lastError: null,
      startedAt: now,
      updatedAt: now,
      uptimeSeconds: 0,
      streamingSince: null,
      fps: null,
      pid: process.pid,
    };
    if (path) {
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch {
        // The write below reports the problem.
      }
    }
    this.write();
  }

  get status(): Readonly<StreamerStatus> {
    return this.current;
  }

  update(change: Partial<StreamerStatus>): void {
    const now = new Date();
    const uptimeSeconds = Math.round((now.getTime() - Date.parse(this.current.startedAt)) / 1000);
    this.current = { ...this.current, ...change, updatedAt: now.toISOString(), uptimeSeconds };
    this.write();
  }

  /** Rewrite the file every `ms` so updatedAt and uptime stay fresh; /run is tmpfs, so cheap. */
  refreshEvery(ms: number): void {
    if (this.path) setInterval(() => this.update({}), ms).unref();
  }

  private write(): void {
    if (!this.path) return;
    try {
      writeStatusFile(this.path, this.current, this.redact);
      this.failed = false;
    } catch (e) {
      // Streaming matters more than the status file: say so once and carry on.
      if (!this.failed) this.log('status-write-failed', { file: this.path, error: (e as Error).message });
      this.failed = true;
    }
  }
}
