import { LATENCY_BUCKETS_MS, type TInferenceWindow } from '@edgefleet/protocol/telemetry';
import { describe, expect, it } from 'vitest';
import { anomalyTransitions, DEFAULT_THRESHOLDS, findAnomalies } from './anomalies.ts';
import { installEvents } from './install-events.ts';
import { quietSystem } from './testing.ts';

const since = '2025-01-01T00:00:00.000Z';

describe('installEvents', () => {
  it('names each kind of end', () => {
    const { events, seen } = installEvents(
      {
        v: 1,
        ts: since,
        instructionVersion: 3,
        models: [
          {
            model: 'a',
            serving: { version: '2.0.0', slot: 'b', since },
            install: { version: '2.0.0', attempt: 1, step: 'succeeded' },
          },
          {
            model: 'b',
            serving: { version: '1.0.0', slot: 'a', since },
            previous: { version: '1.1.0', slot: 'b' },
            install: { version: '1.0.0', attempt: 2, step: 'succeeded' },
          },
          {
            model: 'c',
            serving: { version: '1.0.0', slot: 'a', since },
            install: { version: '1.2.0', attempt: 1, step: 'rolled_back', reason: 'crash loop: …' },
          },
          { model: 'd', install: { version: '1.0.0', attempt: 1, step: 'health_check' } },
        ],
      },
      {},
    );
    expect(events.map((e) => [e.kind, e.severity, e.model, e.message])).toEqual([
      ['install', 'info', 'a', 'a@2.0.0 installed (attempt 1)'],
      ['rollback', 'warning', 'b', 'b rolled back to 1.0.0 (from 1.1.0)'],
      ['crash_loop_revert', 'error', 'c', 'crash loop: …'],
    ]);
    expect(seen).toEqual({ a: '2.0.0#1#succeeded', b: '1.0.0#2#succeeded', c: '1.2.0#1#rolled_back' });
    expect(installEvents({ v: 1, ts: since, instructionVersion: 3, models: [] }, seen).events).toEqual([]);
  });
});

describe('anomalies', () => {
  const w = (requests: number, errors: number): TInferenceWindow => ({
    model: 'm',
    version: '1.0.0',
    requests,
    errors,
    latencyCounts: new Array(LATENCY_BUCKETS_MS.length + 1).fill(0),
    latencySumMs: 0,
  });

  it('flags each threshold, an error rate only over enough requests', () => {
    const hot = quietSystem({ cpuPercent: 91, temperatureC: 81, diskUsedBytes: 96, diskTotalBytes: 100 });
    expect([...findAnomalies(hot, [w(100, 6)], DEFAULT_THRESHOLDS).keys()]).toEqual([
      'cpu',
      'temperature',
      'disk',
      'errors:m@1.0.0',
    ]);
    const calm = quietSystem({ cpuPercent: 90, temperatureC: 80, diskUsedBytes: 95, diskTotalBytes: 100 });
    expect(findAnomalies(calm, [w(100, 5), w(3, 3)], DEFAULT_THRESHOLDS).size).toBe(0);
  });

  it('reports an anomaly when it begins and when it ends, not while it lasts', () => {
    const t = DEFAULT_THRESHOLDS;
    const hot = findAnomalies(quietSystem({ cpuPercent: 99 }), [], t);
    expect(anomalyTransitions(new Map(), hot).map((e) => e.severity)).toEqual(['warning']);
    expect(anomalyTransitions(hot, hot)).toEqual([]);
    expect(anomalyTransitions(hot, new Map())).toEqual([
      { kind: 'anomaly', severity: 'info', message: 'cpu back to normal' },
    ]);
  });
});
