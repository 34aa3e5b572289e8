import type { TInferenceWindow } from '@edgefleet/protocol/telemetry';
import { LatencyHistogram } from '../inference/stats.ts';

interface Window {
  model: string;
  version: string;
  requests: number;
  errors: number;
  latency: LatencyHistogram;
  sumMs: number;
}

/** The protocol's cap on windows per telemetry message. */
export const MAX_WINDOWS = 64;

/**
 * Requests, errors and latency per model version since the last take(): each telemetry message
 * covers exactly one interval, so the control plane can add them up. The latency histogram and
 * sum cover successful requests (as the state report's p50/p95 do): sum(latencyCounts) =
 * requests - errors.
 */
export class InferenceWindows {
  private current = new Map<string, Window>();

  record(model: string, version: string, latencyMs: number, ok: boolean): void {
    const key = `${model}@${version}`;
    let w = this.current.get(key);
    if (!w) {
      w = { model, version, requests: 0, errors: 0, latency: new LatencyHistogram(), sumMs: 0 };
      this.current.set(key, w);
    }
    w.requests++;
    if (!ok) {
      w.errors++;
      return;
    }
    w.latency.record(latencyMs);
    w.sumMs += latencyMs;
  }

  /** The windows since the last call (busiest first, at most 64), and a fresh start. */
  take(): TInferenceWindow[] {
    const windows = [...this.current.values()];
    this.current = new Map();
    return windows
      .sort((a, b) => b.requests - a.requests)
      .slice(0, MAX_WINDOWS)
      .map((w) => ({
        model: w.model,
        version: w.version,
        requests: w.requests,
        errors: w.errors,
        latencyCounts: [...w.latency.counts],
        latencySumMs: Math.round(w.sumMs * 1000) / 1000,
      }));
  }
}
