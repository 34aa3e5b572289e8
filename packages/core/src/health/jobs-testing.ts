// Test helpers for the health jobs and alerts: telemetry written through the real batch writer
// with chosen times and figures.
import type { Db } from '@edgefleet/db/client';
import { LATENCY_BUCKETS_MS, type TTelemetry } from '@edgefleet/protocol/telemetry';
import { writeTelemetryBatch } from './ingest.ts';

export interface SampleSpec {
  seq: number;
  ts: Date;
  receivedAt?: Date;
  intervalSeconds?: number;
  cpu?: number;
  memoryPercent?: number;
  temperatureC?: number;
  /** One inference window: requests, errors and latencies as { bucket upper bound (ms): count }. */
  inference?: { model?: string; version?: string; requests: number; errors: number; latency?: Record<number, number> };
}

export function histogram(latency: Record<number, number> = {}): number[] {
  const counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  for (const [bound, n] of Object.entries(latency)) {
    const i = LATENCY_BUCKETS_MS.indexOf(Number(bound) as (typeof LATENCY_BUCKETS_MS)[number]);
    const k = i === -1 ? LATENCY_BUCKETS_MS.length : i;
    counts[k] = (counts[k] ?? 0) + n;
  }
  return counts;
}

export function message(s: SampleSpec): TTelemetry {
  const inf = s.inference;
  return {
    v: 1,
    seq: s.seq,
    ts: s.ts.toISOString(),
    intervalSeconds: s.intervalSeconds ?? 10,
    system: {
      cpuPercent: s.cpu ?? 10,
      memoryUsedBytes: (s.memoryPercent ?? 25) * 1_000_000,
      memoryTotalBytes: 100_000_000,
      diskUsedBytes: 1,
      diskTotalBytes: 10,
      ...(s.temperatureC !== undefined ? { temperatureC: s.temperatureC } : {}),
      uptimeSeconds: 100,
      agentRssBytes: 1,
      agentVersion: '0.1.0',
    },
    inference: inf
      ? [
          {
            model: inf.model ?? 'detector',
            version: inf.version ?? '1.0.0',
            requests: inf.requests,
            errors: inf.errors,
            latencyCounts: histogram(inf.latency),
            latencySumMs: 0,
          },
        ]
      : [],
    dropped: 0,
  };
}

export async function writeSamples(db: Db, deviceId: string, specs: SampleSpec[]): Promise<void> {
  await writeTelemetryBatch(
    db,
    specs.map((s) => ({ deviceId, receivedAt: s.receivedAt ?? s.ts, telemetry: message(s) })),
  );
}

/** `count` samples `every` seconds apart, the last one at `end`. */
export function series(
  end: Date,
  count: number,
  every: number,
  fill: (i: number) => Omit<SampleSpec, 'seq' | 'ts'>,
  firstSeq = 0,
): SampleSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    seq: firstSeq + i,
    ts: new Date(end.getTime() - (count - 1 - i) * every * 1000),
    intervalSeconds: every,
    ...fill(i),
  }));
}
