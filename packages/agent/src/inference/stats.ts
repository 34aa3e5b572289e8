import type { TInferenceStats } from '@edgefleet/protocol/rollout';
// One list of bucket bounds: telemetry publishes these histograms as they are.
import { LATENCY_BUCKETS_MS } from '@edgefleet/protocol/telemetry';

/** Fixed-bucket latency histogram: constant memory however many requests, mergeable. */
export class LatencyHistogram {
  readonly counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  record(ms: number): void {
    let i = LATENCY_BUCKETS_MS.findIndex((upper) => ms <= upper);
    if (i < 0) i = LATENCY_BUCKETS_MS.length;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.count++;
    this.min = Math.min(this.min, ms);
    this.max = Math.max(this.max, ms);
  }

  merge(other: LatencyHistogram): this {
    other.counts.forEach((n, i) => {
      this.counts[i] = (this.counts[i] ?? 0) + n;
    });
    this.count += other.count;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    return this;
  }

  /**
   * The q-quantile (0..1), interpolated linearly inside its bucket and clamped to the observed
   * min/max, so a handful of samples do not report a bucket edge far from any of them.
   */
  quantile(q: number): number | undefined {
    if (this.count === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (const [i, n] of this.counts.entries()) {
      if (n === 0 || seen + n < rank) {
        seen += n;
        continue;
      }
      const lower = i === 0 ? 0 : (LATENCY_BUCKETS_MS[i - 1] as number);
      const upper = LATENCY_BUCKETS_MS[i] ?? this.max;
      const estimate = lower + (upper - lower) * ((rank - seen) / n);
      return Math.round(Math.min(this.max, Math.max(this.min, estimate)) * 1000) / 1000;
    }
    return this.max;
  }
}

interface VersionCounts {
  requests: number;
  errors: number;
  latency: LatencyHistogram;
  lastAt: number;
}

/**
 * Requests, errors and latency per model version over a rolling window (`slots` × `slotMs`),
 * so a report read at any moment covers the same span: after a switch the previous version's
 * figures stay beside the new one's until they age out, which is what a p95 comparison needs.
 */
export class RollingStats {
  private slots: { start: number; versions: Map<string, VersionCounts> }[] = [];

  constructor(
    private readonly now: () => number,
    private readonly slotMs = 60_000,
    private readonly slotCount = 5,
  ) {}

  record(version: string, latencyMs: number, ok: boolean): void {
    const now = this.now();
    const start = now - (now % this.slotMs);
    let slot = this.slots.at(-1);
    if (!slot || slot.start !== start) {
      slot = { start, versions: new Map() };
      this.slots.push(slot);
      this.prune(now);
    }
    let v = slot.versions.get(version);
    if (!v) {
      v = { requests: 0, errors: 0, latency: new LatencyHistogram(), lastAt: now };
      slot.versions.set(version, v);
    }
    v.requests++;
    v.lastAt = now;
    if (ok) v.latency.record(latencyMs);
    else v.errors++;
  }

  /** Keeps the current slot and the `slotCount - 1` before it. */
  private prune(now: number) {
    const current = now - (now % this.slotMs);
    this.slots = this.slots.filter((s) => s.start > current - this.slotMs * this.slotCount);
  }

  /** Per version in the window, most recently used first; p50/p95 over successful requests. */
  snapshot(): TInferenceStats[] {
    this.prune(this.now());
    const merged = new Map<string, VersionCounts>();
    for (const slot of this.slots) {
      for (const [version, v] of slot.versions) {
        const m = merged.get(version) ?? { requests: 0, errors: 0, latency: new LatencyHistogram(), lastAt: 0 };
        m.requests += v.requests;
        m.errors += v.errors;
        m.latency.merge(v.latency);
        m.lastAt = Math.max(m.lastAt, v.lastAt);
        merged.set(version, m);
      }
    }
    return [...merged]
      .sort((a, b) => b[1].lastAt - a[1].lastAt)
      .map(([version, m]) => {
        // ZInferenceStats caps latencies at an hour; a hung call must not make the report invalid.
        const cap = (v: number | undefined) => (v === undefined ? undefined : Math.min(v, 3_600_000));
        const p50 = cap(m.latency.quantile(0.5));
        const p95 = cap(m.latency.quantile(0.95));
        return {
          version,
          requests: m.requests,
          errors: m.errors,
          ...(p50 === undefined ? {} : { p50Ms: p50 }),
          ...(p95 === undefined ? {} : { p95Ms: p95 }),
        };
      });
  }
}
