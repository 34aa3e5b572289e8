import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_RULES, RateLimiter, rateRules } from './rate-limit.ts';

describe('RateLimiter', () => {
  it('allows the limit per window and key, then says when to retry', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ limit: 3, windowMs: 60_000 }, { now: () => new Date(now) });
    expect([1, 2, 3].map(() => limiter.take('a').ok)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterSeconds: 60 });
    expect(limiter.take('b').ok).toBe(true); // another address is counted apart
    now += 45_000;
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterSeconds: 15 });
    now += 15_000;
    expect(limiter.take('a').ok).toBe(true); // a new window
  });

  it("takes the operator's enrollment limit and keeps the other routes' defaults", () => {
    const rules = rateRules(5000);
    expect(rules['/v1/enroll']).toEqual({ limit: 5000, windowMs: 60_000 });
    expect(rules['/v1/enroll/poll']).toEqual(DEFAULT_RATE_RULES['/v1/enroll/poll']);
    expect(rateRules(120)).toEqual(DEFAULT_RATE_RULES);
  });
});
