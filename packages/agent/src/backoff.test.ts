import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay } from './backoff.ts';
import { formatDuration, parseDuration } from './duration.ts';

describe('backoffDelay', () => {
  const policy = { initialMs: 100, maxMs: 5000, factor: 2, jitter: 0.3 };

  it('grows exponentially and never exceeds the cap', () => {
    const noJitter = () => 0;
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, policy, noJitter))).toEqual([100, 200, 400, 800]);
    expect(backoffDelay(50, policy, noJitter)).toBe(5000);
    expect(backoffDelay(10_000, policy, noJitter)).toBe(5000); // no overflow to Infinity/NaN
  });

  it('keeps jittered delays within [base·(1−jitter), base]', () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const base = Math.min(5000, 100 * 2 ** attempt);
      for (const r of [0, 0.25, 0.5, 0.999]) {
        const d = backoffDelay(attempt, policy, () => r);
        expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.7));
        expect(d).toBeLessThanOrEqual(base);
      }
    }
  });

  it('spreads a fleet: different random draws give different delays', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(5, policy)));
    expect(delays.size).toBeGreaterThan(10);
  });

  it('starts over after reset()', () => {
    const b = new Backoff({ initialMs: 10, maxMs: 1000, jitter: 0 });
    expect([b.next(), b.next(), b.next()]).toEqual([10, 20, 40]);
    b.reset();
    expect(b.next()).toBe(10);
  });
});

describe('durations', () => {
  it('parses units and bare seconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('30')).toBe(30_000);
  });

  it('refuses nonsense and zero', () => {
    for (const bad of ['', 'soon', '5 minutes', '-1s', '0s']) expect(() => parseDuration(bad)).toThrow();
  });

  it('formats for log lines', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(7000)).toBe('7s');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(600_000)).toBe('10m');
  });
});
