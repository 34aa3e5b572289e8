import type { Db } from '@edgefleet/db/client';
import { LATENCY_BUCKETS_MS } from '@edgefleet/protocol/telemetry';

/**
 * Synthetic telemetry for tests and screenshots: raw samples every `intervalSeconds` over the
 * last `rawMinutes`, and 1-minute rollups over `rollupDays` before that, written with
 * createMany in chunks. Figures follow smooth daily waves, so charts look like a real device.
 */

export const MEMORY_TOTAL = 8 * 2 ** 30;
const CHUNK = 2_000;

/** Figures at time t (ms): deterministic, so tests can assert exact values. */
export function syntheticAt(t: number) {
  const day = (t / 86_400_000) * 2 * Math.PI;
  const hour = (t / 3_600_000) * 2 * Math.PI;
  return {
    cpuPercent: Math.round((40 + 25 * Math.sin(day) + 8 * Math.sin(hour * 3)) * 10) / 10,
    memoryUsedBytes: Math.round(MEMORY_TOTAL * (0.5 + 0.1 * Math.sin(day + 1))),
    temperatureC: Math.round((52 + 9 * Math.sin(day - 0.5)) * 10) / 10,
    /** Requests per second. */
    rps: Math.round(20 + 12 * Math.sin(day + 2)),
    /** Latency bucket index for most requests (5 ms), and for the slow tail (25 ms). */
    fastBucket: LATENCY_BUCKETS_MS.indexOf(5),
    slowBucket: LATENCY_BUCKETS_MS.indexOf(25),
  };
}

/** A latency histogram: 90% in the fast bucket, 10% in the slow one. */
export function syntheticCounts(requests: number): number[] {
  const s = syntheticAt(0);
  const counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  const slow = Math.round(requests * 0.1);
  counts[s.fastBucket] = requests - slow;
  counts[s.slowBucket] = slow;
  return counts;
}

async function chunked<T>(rows: T[], write: (chunk: T[]) => Promise<unknown>) {
  for (let i = 0; i < rows.length; i += CHUNK) await write(rows.slice(i, i + CHUNK));
}

export async function seedSyntheticTelemetry(
  db: Db,
  opts: {
    deviceId: string;
    now: Date;
    model?: string;
    version?: string;
    rawMinutes?: number;
    intervalSeconds?: number;
    rollupDays?: number;
    /** Errors per request, 0..1. */
    errorRate?: number;
  },
): Promise<{ samples: number; rollups: number }> {
  const { deviceId } = opts;
  const model = opts.model ?? 'detector';
  const version = opts.version ?? '1.0.0';
  const interval = opts.intervalSeconds ?? 10;
  const errorRate = opts.errorRate ?? 0.01;
  const nowMs = opts.now.getTime();
  // Raw samples cover the last rawMinutes; rollups everything older, back to rollupDays.
  const rawFrom = Math.floor((nowMs - (opts.rawMinutes ?? 60) * 60_000) / 60_000) * 60_000;
  const rollupFrom = rawFrom - (opts.rollupDays ?? 0) * 86_400_000;

  const samples = [];
  const windows = [];
  let seq = 1;
  for (let t = rawFrom + interval * 1000; t <= nowMs; t += interval * 1000, seq++) {
    const f = syntheticAt(t);
    const requests = f.rps * interval;
    const errors = Math.round(requests * errorRate);
    samples.push({
      deviceId,
      seq,
      ts: new Date(t),
      intervalSeconds: interval,
      cpuPercent: f.cpuPercent,
      memoryUsedBytes: f.memoryUsedBytes,
      memoryTotalBytes: MEMORY_TOTAL,
      diskUsedBytes: 20 * 2 ** 30,
      diskTotalBytes: 64 * 2 ** 30,
      temperatureC: f.temperatureC,
      load1: 1.2,
      agentRssBytes: 90 * 2 ** 20,
      agentVersion: '0.1.0',
      requests,
      errors,
      dropped: 0,
    });
    const counts = syntheticCounts(requests);
    windows.push({
      deviceId,
      seq,
      model,
      version,
      ts: new Date(t),
      requests,
      errors,
      latencyCounts: counts,
      latencySumMs: requests * 7,
    });
  }

  const rollups = [];
  const inference = [];
  for (let minute = rollupFrom; minute < rawFrom; minute += 60_000) {
    const f = syntheticAt(minute);
    const perMinute = 60 / interval;
    const requests = f.rps * 60;
    const errors = Math.round(requests * errorRate);
    rollups.push({
      deviceId,
      minute: new Date(minute),
      samples: perMinute,
      cpuSum: f.cpuPercent * perMinute,
      cpuMax: f.cpuPercent,
      memoryUsedSum: f.memoryUsedBytes * perMinute,
      memoryUsedMax: f.memoryUsedBytes,
      memoryTotalBytes: MEMORY_TOTAL,
      temperatureSum: f.temperatureC * perMinute,
      temperatureSamples: perMinute,
      temperatureMax: f.temperatureC,
      requests,
      errors,
    });
    inference.push({
      deviceId,
      minute: new Date(minute),
      model,
      version,
      requests,
      errors,
      latencyCounts: syntheticCounts(requests),
      latencySumMs: requests * 7,
    });
  }

  await chunked(samples, (data) => db.telemetrySample.createMany({ data }));
  await chunked(windows, (data) => db.inferenceSample.createMany({ data }));
  await chunked(rollups, (data) => db.telemetryRollup.createMany({ data }));
  await chunked(inference, (data) => db.inferenceRollup.createMany({ data }));
  return { samples: samples.length, rollups: rollups.length };
}
