// Fakes for the telemetry tests: a clock moved by hand, a link that records what is published,
// a machine with fixed figures, and a file system that can fail like a full disk.
import { appendFile, rename, writeFile } from 'node:fs/promises';
import type { TSystemMetrics } from '@edgefleet/protocol/telemetry';
import type { DeviceLink } from '../mqtt-link.ts';
import type { Clock } from '../runtime.ts';
import { nodeQueueFs, type QueueFs } from './queue-fs.ts';

export class ManualClock implements Clock {
  private t: number;
  private sleepers: { until: number; resolve: () => void }[] = [];

  constructor(start: Date | number) {
    this.t = typeof start === 'number' ? start : start.getTime();
  }

  now = () => new Date(this.t);

  sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const sleeper = { until: this.t + ms, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          reject(abortError());
        },
        { once: true },
      );
    });

  /** Moves time on, waking the sleepers whose time has come. */
  advance(ms: number): void {
    this.t += ms;
    const due = this.sleepers.filter((s) => s.until <= this.t);
    this.sleepers = this.sleepers.filter((s) => s.until > this.t);
    for (const s of due) s.resolve();
  }
}

const abortError = () => Object.assign(new Error('aborted'), { name: 'AbortError' });

export interface Published {
  topic: string;
  payload: string;
}

/** Records publishes; `respond` decides each one's PUBACK (default: at once). */
export class FakeLink implements DeviceLink {
  readonly published: Published[] = [];
  respond: (p: Published, index: number) => Promise<void> = async () => {};

  connect = async () => {};
  publish = (topic: string, payload: string) => {
    const p = { topic, payload };
    this.published.push(p);
    return this.respond(p, this.published.length - 1);
  };
  subscribe = async () => {};
  onInterrupted = () => {};
  disconnect = async () => {};

  messages(topic: string): Record<string, unknown>[] {
    return this.published.filter((p) => p.topic === topic).map((p) => JSON.parse(p.payload));
  }
}

export const quietSystem = (overrides: Partial<TSystemMetrics> = {}): TSystemMetrics => ({
  cpuPercent: 12.5,
  memoryUsedBytes: 1_000_000_000,
  memoryTotalBytes: 4_000_000_000,
  diskUsedBytes: 10_000_000_000,
  diskTotalBytes: 32_000_000_000,
  temperatureC: 48,
  load1: 0.4,
  uptimeSeconds: 3600,
  agentRssBytes: 80_000_000,
  agentVersion: '0.1.0',
  ...overrides,
});

const enospc = (path: string) =>
  Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), { code: 'ENOSPC' });

/**
 * The real file system, except that while `full` is set every write fails with ENOSPC (an append
 * after writing `partial` bytes of its data, as a disk filling up mid-write does).
 */
export function fullDiskFs(): QueueFs & { full: boolean; partial: number; writes: number } {
  const fs = {
    ...nodeQueueFs,
    full: false,
    partial: 0,
    writes: 0,
    append: async (path: string, data: string) => {
      fs.writes++;
      if (!fs.full) return nodeQueueFs.append(path, data);
      if (fs.partial > 0) await nodeQueueFs.append(path, data.slice(0, fs.partial));
      throw enospc(path);
    },
    writeAtomic: async (path: string, data: string) => {
      fs.writes++;
      if (fs.full) throw enospc(path);
      return nodeQueueFs.writeAtomic(path, data);
    },
  };
  return fs;
}

/**
 * Real files without the fsyncs: for tests of bounds and order that write thousands of
 * messages, where surviving a power cut is not what is tested (and fsync takes most of the time).
 */
export const unsyncedFs: QueueFs = {
  ...nodeQueueFs,
  append: (path, data) => appendFile(path, data, { mode: 0o600 }),
  writeAtomic: async (path, data) => {
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, data, { mode: 0o600 });
    await rename(tmp, path);
  },
};
