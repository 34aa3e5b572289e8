import { describe, expect, it } from 'vitest';
import { LatencyHistogram, RollingStats } from './stats.ts';

describe('LatencyHistogram', () => {
  it('estimates quantiles within their bucket, clamped to what was seen', () => {
    const h = new LatencyHistogram();
    expect(h.quantile(0.5)).toBeUndefined();
    for (let i = 1; i <= 100; i++) h.record(i); // 1..100 ms
    const p50 = h.quantile(0.5) as number;
    const p95 = h.quantile(0.95) as number;
    expect(p50).toBeGreaterThanOrEqual(25);
    expect(p50).toBeLessThanOrEqual(50);
    expect(p95).toBeGreaterThanOrEqual(50);
    expect(p95).toBeLessThanOrEqual(100);
    const one = new LatencyHistogram();
    one.record(7.3);
    expect([one.quantile(0.5), one.quantile(0.95)]).toEqual([7.3, 7.3]);
    const slow = new LatencyHistogram();
    slow.record(90_000);
    expect(slow.quantile(0.95)).toBe(90_000);
  });

  it('merges', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.record(1);
    b.record(1000);
    b.record(1000);
    a.merge(b);
    expect([a.count, a.min, a.max, a.quantile(0.95)]).toEqual([3, 1, 1000, 1000]);
  });
});

describe('RollingStats', () => {
  it('keeps each version over the window, newest first, and forgets what aged out', () => {
    let now = 0;
    const stats = new RollingStats(() => now, 60_000, 5);
    for (let i = 0; i < 10; i++) stats.record('1.0.0', 10, i !== 0);
    now = 2 * 60_000;
    for (let i = 0; i < 4; i++) stats.record('1.1.0', 2, true);
    expect(stats.snapshot()).toEqual([
      { version: '1.1.0', requests: 4, errors: 0, p50Ms: 2, p95Ms: 2 },
      { version: '1.0.0', requests: 10, errors: 1, p50Ms: 10, p95Ms: 10 },
    ]);
    now = 5 * 60_000; // 1.0.0's minute has left the 5-minute window
    expect(stats.snapshot().map((s) => s.version)).toEqual(['1.1.0']);
    now = 7 * 60_000;
    expect(stats.snapshot()).toEqual([]);
  });

  it('reports no percentiles when every request failed', () => {
    const stats = new RollingStats(() => 0);
    stats.record('2.0.0', 5, false);
    expect(stats.snapshot()).toEqual([{ version: '2.0.0', requests: 1, errors: 1 }]);
  });
});
