import type { TInferenceWindow, TSystemMetrics } from '@edgefleet/protocol/telemetry';
import type { EventDraft } from './install-events.ts';

export interface AnomalyThresholds {
  /** Above this CPU % (default 90). */
  cpuPercent: number;
  /** Above this many °C (default 80). */
  temperatureC: number;
  /** Above this share of the data dir's filesystem used, in % (default 95). */
  diskPercent: number;
  /** Above this share of failed inference requests of one version, in % (default 5)… */
  errorRatePercent: number;
  /** …over at least this many requests in the interval (default 10), so one failure of one request is not an alarm. */
  minRequests: number;
}

export const DEFAULT_THRESHOLDS: AnomalyThresholds = {
  cpuPercent: 90,
  temperatureC: 80,
  diskPercent: 95,
  errorRatePercent: 5,
  minRequests: 10,
};

/** What is out of bounds in one sample, by a stable key (so an anomaly that lasts is one event). */
export function findAnomalies(
  system: TSystemMetrics,
  inference: readonly TInferenceWindow[],
  t: AnomalyThresholds,
): Map<string, EventDraft> {
  const found = new Map<string, EventDraft>();
  const add = (key: string, message: string, extra: Partial<EventDraft> = {}) =>
    found.set(key, { kind: 'anomaly', severity: 'warning', message, ...extra });
  if (system.cpuPercent > t.cpuPercent) add('cpu', `CPU at ${system.cpuPercent}% (above ${t.cpuPercent}%)`);
  if (system.temperatureC !== undefined && system.temperatureC > t.temperatureC) {
    add('temperature', `temperature ${system.temperatureC} °C (above ${t.temperatureC} °C)`);
  }
  const disk = (system.diskUsedBytes / system.diskTotalBytes) * 100;
  if (disk > t.diskPercent) add('disk', `disk ${disk.toFixed(1)}% full (above ${t.diskPercent}%)`);
  for (const w of inference) {
    const rate = w.requests > 0 ? (w.errors / w.requests) * 100 : 0;
    if (w.requests >= t.minRequests && rate > t.errorRatePercent) {
      add(
        `errors:${w.model}@${w.version}`,
        `${w.model}@${w.version}: ${w.errors} of ${w.requests} requests failed (${rate.toFixed(1)}%, above ${t.errorRatePercent}%)`,
        { model: w.model, version: w.version },
      );
    }
  }
  return found;
}

/** Events for anomalies that began (warning) or ended (info) between two samples. */
export function anomalyTransitions(before: Map<string, EventDraft>, now: Map<string, EventDraft>): EventDraft[] {
  const events: EventDraft[] = [];
  for (const [key, draft] of now) if (!before.has(key)) events.push(draft);
  for (const [key, draft] of before) {
    if (now.has(key)) continue;
    const what = key.startsWith('errors:') ? `${draft.model}@${draft.version} error rate` : key;
    events.push({ ...draft, severity: 'info', message: `${what} back to normal` });
  }
  return events;
}
