import { LATENCY_BUCKETS_MS } from '@edgefleet/protocol/telemetry';
import { describe, expect, it } from 'vitest';
import { mergeCounts, percentileMs } from './histogram.ts';

const empty = () => new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
const at = (bound: number, n: number, counts = empty()) => {
  const i = LATENCY_BUCKETS_MS.indexOf(bound as (typeof LATENCY_BUCKETS_MS)[number]);
  const k = i === -1 ? LATENCY_BUCKETS_MS.length : i;
  counts[k] = (counts[k] ?? 0) + n;
  return counts;
};

describe('mergeCounts', () => {
  it('adds elementwise and treats a shorter array as zeros', () => {
    expect(mergeCounts([1, 2, 3], [10, 20, 30])).toEqual([11, 22, 33]);
    expect(mergeCounts([1], [1, 2])).toEqual([2, 2]);
    expect(mergeCounts([], [])).toEqual([]);
  });
});

describe('percentileMs', () => {
  it('is null when there were no requests', () => {
    expect(percentileMs(empty(), 95)).toBeNull();
    expect(percentileMs([], 50)).toBeNull();
  });

  it('answers the upper bound of the bucket holding the percentile', () => {
    // 90 requests ≤ 10 ms, 10 requests in (50, 100]
    const counts = at(100, 10, at(10, 90));
    expect(percentileMs(counts, 50)).toBe(10);
    expect(percentileMs(counts, 90)).toBe(10);
    expect(percentileMs(counts, 91)).toBe(100);
    expect(percentileMs(counts, 95)).toBe(100);
    expect(percentileMs(counts, 100)).toBe(100);
  });

  it('answers the last bound for the overflow bucket', () => {
    const counts = at(Number.POSITIVE_INFINITY, 5, at(1, 5));
    expect(percentileMs(counts, 95)).toBe(LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]);
    expect(percentileMs(counts, 50)).toBe(1);
  });

  it('works on merged histograms', () => {
    const a = at(5, 100);
    const b = at(1000, 100);
    expect(percentileMs(mergeCounts(a, b), 95)).toBe(1000);
    expect(percentileMs(mergeCounts(a, b), 50)).toBe(5);
  });
});
