export interface BackoffPolicy {
  initialMs: number;
  /** No delay is ever longer than this. */
  maxMs: number;
  factor?: number;
  /** Fraction of each delay that is randomised (0..1): spreads a fleet's retries after an outage. */
  jitter?: number;
}

/** Delay before retry number `attempt` (0-based): exponential, capped, minus up to `jitter` of it. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const { initialMs, maxMs, factor = 2, jitter = 0.2 } = policy;
  const base = Math.min(maxMs, initialMs * factor ** Math.max(0, attempt));
  return Math.max(0, Math.round(base * (1 - jitter * random())));
}

/** Stateful wrapper: next() grows the delay, reset() after a success starts over. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    return backoffDelay(this.attempt++, this.policy, this.random);
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
