import type { Clock } from '@edgefleet/core/tokens';

export interface RateRule {
  /** Requests allowed per window and key. */
  limit: number;
  windowMs: number;
}

/**
 * Fixed-window request counting per key (the client address). In memory, per gateway process:
 * its job is to keep one noisy or hostile address from flooding enrollment, polling and
 * renewal; the limits are generous because a site's devices often share one NAT address.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly rule: RateRule,
    private readonly clock: Clock = { now: () => new Date() },
  ) {}

  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const now = this.clock.now().getTime();
    if (this.windows.size > 10_000) this.sweep(now);
    const w = this.windows.get(key);
    if (!w || now - w.start >= this.rule.windowMs) {
      this.windows.set(key, { start: now, count: 1 });
      return { ok: true };
    }
    if (w.count >= this.rule.limit) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((w.start + this.rule.windowMs - now) / 1000)) };
    }
    w.count += 1;
    return { ok: true };
  }

  /** Forgets windows that have ended, so memory stays bounded by the addresses seen recently. */
  private sweep(now: number) {
    for (const [key, w] of this.windows) if (now - w.start >= this.rule.windowMs) this.windows.delete(key);
  }
}

/** Per-address limits for the device-facing POST routes. */
export const DEFAULT_RATE_RULES: Record<string, RateRule> = {
  '/v1/enroll': { limit: 120, windowMs: 60_000 },
  '/v1/enroll/poll': { limit: 600, windowMs: 60_000 },
  '/v1/certificate/renew': { limit: 60, windowMs: 60_000 },
};

/** The default rules with the enrollment limit an operator set (EDGEFLEET_ENROLL_RATE_LIMIT, per minute). */
export function rateRules(enrollPerMinute: number): Record<string, RateRule> {
  return { ...DEFAULT_RATE_RULES, '/v1/enroll': { limit: enrollPerMinute, windowMs: 60_000 } };
}
