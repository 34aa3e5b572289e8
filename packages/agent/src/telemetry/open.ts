import { join } from 'node:path';
import { z } from 'zod';
import type { DataDir } from '../data-dir.ts';
import { errorMessage } from '../errors.ts';
import { readJsonFile, writeJsonAtomic } from '../fs-atomic.ts';
import type { Clock, Log } from '../runtime.ts';
import { DiskQueue } from './queue.ts';
import type { QueueFs } from './queue-fs.ts';
import { type ReporterDeps, type ReporterOptions, TelemetryReporter } from './reporter.ts';
import { type MetricsProbe, SystemMetrics } from './system-metrics.ts';

export interface TelemetryOptions extends ReporterOptions {
  /** Disk the queues may use together (default 8 MiB): 7/8 telemetry, 1/8 events. */
  queueBytes?: number;
  /** Also a bound on the messages waiting, per queue. */
  queueCount?: number;
}

const ZSeenInstalls = z.record(z.string(), z.string());

/**
 * The telemetry of an enrolled device, kept under `<data-dir>/telemetry/`: `telemetry/` and
 * `events/` (the two queues, each with its own seq and drop counter, as the protocol numbers
 * each stream) and installs.json (install ends already reported).
 */
export async function openTelemetry(
  opts: TelemetryOptions & {
    dataDir: DataDir;
    deviceId: string;
    inference?: ReporterDeps['inference'];
    installer?: ReporterDeps['installer'];
    clock: Clock;
    log: Log;
    probe?: MetricsProbe;
    fs?: QueueFs;
  },
): Promise<TelemetryReporter> {
  const root = join(opts.dataDir.root, 'telemetry');
  const total = opts.queueBytes ?? 8 * 1024 * 1024;
  const queue = (name: string, maxBytes: number) =>
    DiskQueue.open({ dir: join(root, name), maxBytes, maxCount: opts.queueCount, fs: opts.fs, log: opts.log });
  const telemetry = await queue('telemetry', Math.floor((total * 7) / 8));
  const events = await queue('events', Math.floor(total / 8));
  const seenPath = join(root, 'installs.json');
  const seenInstalls = await readJsonFile(seenPath, ZSeenInstalls).catch((e) => {
    opts.log(`telemetry: ${errorMessage(e)}; install events start afresh`);
    return null;
  });
  return new TelemetryReporter({
    ...opts,
    queues: { telemetry, events },
    metrics: new SystemMetrics(opts.dataDir.root, opts.probe),
    seenInstalls,
    saveSeenInstalls: (seen) => writeJsonAtomic(seenPath, seen),
  });
}
