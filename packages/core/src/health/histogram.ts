import { LATENCY_BUCKETS_MS } from '@edgefleet/protocol/telemetry';

/**
 * Latency histograms as the agent reports them: `counts[i]` requests at or below
 * `LATENCY_BUCKETS_MS[i]` (and above the previous bound), the last entry above every bound.
 */

/** Elementwise sum; a shorter array counts as zeros where it ends. */
export function mergeCounts(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(Math.max(a.length, b.length));
  for (let i = 0; i < out.length; i++) out[i] = (a[i] ?? 0) + (b[i] ?? 0);
  return out;
}

/**
 * The upper bound of the bucket holding the p-th percentile (0 < p ≤ 100), in milliseconds; the
 * overflow bucket answers the last bound (we know no more than "above it"). null when no requests.
 */
export function percentileMs(counts: readonly number[], p: number): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil((Math.min(Math.max(p, 0), 100) / 100) * total));
  const last = LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1] as number;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] ?? 0;
    if (seen >= rank) return LATENCY_BUCKETS_MS[i] ?? last;
  }
  return last;
}
