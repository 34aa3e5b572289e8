// Test helper: a valid ZTelemetry message as the agent sends it (two inference windows).
import { LATENCY_BUCKETS_MS, type TTelemetry } from '@edgefleet/protocol/telemetry';

/** Message `seq`, stamped a second ago; `overrides` replace top-level fields. */
export function telemetryMessage(seq: number, overrides: Partial<TTelemetry> = {}): TTelemetry {
  const counts = LATENCY_BUCKETS_MS.map(() => 0);
  counts.push(0);
  counts[3] = 7;
  counts[LATENCY_BUCKETS_MS.length] = 1;
  return {
    v: 1,
    seq,
    ts: new Date(Date.now() - 1000).toISOString(),
    intervalSeconds: 10,
    system: {
      cpuPercent: 42.5,
      memoryUsedBytes: 1_000_000,
      memoryTotalBytes: 8_000_000,
      diskUsedBytes: 5,
      diskTotalBytes: 10,
      temperatureC: 55,
      uptimeSeconds: 100,
      agentRssBytes: 12345,
      agentVersion: '0.1.0',
    },
    inference: [
      { model: 'detector', version: '1.0.0', requests: 8, errors: 1, latencyCounts: counts, latencySumMs: 70_003 },
      { model: 'classifier', version: '2.1.0', requests: 3, errors: 0, latencyCounts: counts, latencySumMs: 4 },
    ],
    dropped: 2,
    ...overrides,
  };
}
