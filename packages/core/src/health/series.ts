import type { Db } from '@edgefleet/db/client';
import { DomainError } from '../errors.ts';
import { mergeCounts, percentileMs } from './histogram.ts';

/**
 * One device's metrics over time, for its charts. The last hour comes from the raw samples (one
 * point per agent message, ~10 s apart); a day or a week from the 1-minute rollups (1,440 and
 * 10,080 points), plus the raw samples of the minutes the rollup job has not reached yet, so the
 * right edge of a long chart is as fresh as the short one.
 */

export const SERIES_RANGES = { '1h': 3_600, '24h': 86_400, '7d': 7 * 86_400 } as const;
export type SeriesRange = keyof typeof SERIES_RANGES;

export interface SeriesPoint {
  /** Milliseconds since the epoch: the sample's time, or the rollup minute's start. */
  t: number;
  cpuPercent: number;
  memoryPercent: number;
  temperatureC: number | null;
  requestsPerSecond: number;
  errorsPerSecond: number;
  /** Upper bound of the histogram bucket holding the percentile; null without requests. */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

export interface DeviceSeries {
  range: SeriesRange;
  /** Typical spacing of the points, so a chart can tell a gap (device offline) from a step. */
  resolutionSeconds: number;
  from: number;
  to: number;
  points: SeriesPoint[];
}

const MINUTE_MS = 60_000;
const DEFAULT_INTERVAL_SECONDS = 10;

type RawRow = {
  seq: number;
  ts: Date;
  intervalSeconds: number;
  cpuPercent: number;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  temperatureC: number | null;
  requests: number;
  errors: number;
};

const rawSelect = {
  seq: true,
  ts: true,
  intervalSeconds: true,
  cpuPercent: true,
  memoryUsedBytes: true,
  memoryTotalBytes: true,
  temperatureC: true,
  requests: true,
  errors: true,
} as const;

const percent = (used: number, total: number) => (total > 0 ? (used / total) * 100 : 0);

function latency(counts: number[] | undefined): Pick<SeriesPoint, 'latencyP50Ms' | 'latencyP95Ms'> {
  return counts
    ? { latencyP50Ms: percentileMs(counts, 50), latencyP95Ms: percentileMs(counts, 95) }
    : { latencyP50Ms: null, latencyP95Ms: null };
}

function addCounts(into: Map<number, number[]>, key: number, counts: number[]) {
  const prev = into.get(key);
  into.set(key, prev ? mergeCounts(prev, counts) : counts);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? DEFAULT_INTERVAL_SECONDS;
}

/** One point per raw sample. */
async function rawSeries(db: Db, deviceId: string, from: Date, to: Date): Promise<Omit<DeviceSeries, 'range'>> {
  const where = { deviceId, ts: { gte: from, lte: to } };
  const [samples, inference] = await Promise.all([
    db.telemetrySample.findMany({ where, orderBy: [{ ts: 'asc' }, { seq: 'asc' }], select: rawSelect }),
    db.inferenceSample.findMany({ where, select: { seq: true, latencyCounts: true } }),
  ]);
  const bySeq = new Map<number, number[]>();
  for (const i of inference) addCounts(bySeq, i.seq, i.latencyCounts);
  const points = samples.map((s) => ({
    t: s.ts.getTime(),
    cpuPercent: s.cpuPercent,
    memoryPercent: percent(s.memoryUsedBytes, s.memoryTotalBytes),
    temperatureC: s.temperatureC,
    requestsPerSecond: s.requests / s.intervalSeconds,
    errorsPerSecond: s.errors / s.intervalSeconds,
    ...latency(bySeq.get(s.seq)),
  }));
  const resolutionSeconds = Math.max(1, Math.round(median(samples.map((s) => s.intervalSeconds))));
  return { resolutionSeconds, from: from.getTime(), to: to.getTime(), points };
}

/** A minute's figures as the rollup job would sum them; raw samples of unrolled minutes fold into these. */
interface MinuteSums {
  /** Seconds of the minute the samples cover: 60 for a rollup, the samples' intervals for raw ones. */
  seconds: number;
  samples: number;
  cpuSum: number;
  memoryUsedSum: number;
  memoryTotalBytes: number;
  temperatureSum: number;
  temperatureSamples: number;
  requests: number;
  errors: number;
}

function foldRaw(minutes: Map<number, MinuteSums>, s: RawRow) {
  const key = Math.floor(s.ts.getTime() / MINUTE_MS) * MINUTE_MS;
  const m = minutes.get(key) ?? {
    seconds: 0,
    samples: 0,
    cpuSum: 0,
    memoryUsedSum: 0,
    memoryTotalBytes: 0,
    temperatureSum: 0,
    temperatureSamples: 0,
    requests: 0,
    errors: 0,
  };
  m.seconds += s.intervalSeconds;
  m.samples += 1;
  m.cpuSum += s.cpuPercent;
  m.memoryUsedSum += s.memoryUsedBytes;
  m.memoryTotalBytes = s.memoryTotalBytes;
  if (s.temperatureC !== null) {
    m.temperatureSum += s.temperatureC;
    m.temperatureSamples += 1;
  }
  m.requests += s.requests;
  m.errors += s.errors;
  minutes.set(key, m);
}

/**
 * The newest minutes always come from raw samples: the rollup job folds what arrived up to ~10 s
 * ago, so its newest rows are partial, and the current minute is never complete.
 */
const FRESH_FROM_RAW_MS = 2 * MINUTE_MS;

/**
 * One point per minute from the rollups, then from raw samples after the last rolled-up minute
 * (and for the last two minutes in any case). Rates divide by the seconds a minute's samples
 * cover, so the current, partial minute does not read low.
 */
async function minuteSeries(db: Db, deviceId: string, from: Date, to: Date): Promise<Omit<DeviceSeries, 'range'>> {
  const where = { deviceId, minute: { gte: from, lte: to } };
  const [rollups, inferenceRollups] = await Promise.all([
    db.telemetryRollup.findMany({
      where,
      orderBy: { minute: 'asc' },
      select: {
        minute: true,
        samples: true,
        cpuSum: true,
        memoryUsedSum: true,
        memoryTotalBytes: true,
        temperatureSum: true,
        temperatureSamples: true,
        requests: true,
        errors: true,
      },
    }),
    db.inferenceRollup.findMany({ where, select: { minute: true, latencyCounts: true } }),
  ]);
  let lastRolled = from.getTime() - MINUTE_MS;
  for (const r of [...rollups, ...inferenceRollups]) lastRolled = Math.max(lastRolled, r.minute.getTime());
  const fresh = Math.floor((to.getTime() - FRESH_FROM_RAW_MS) / MINUTE_MS) * MINUTE_MS;
  const tailFrom = new Date(Math.max(from.getTime(), Math.min(lastRolled + MINUTE_MS, fresh)));
  const minutes = new Map<number, MinuteSums>();
  const latencies = new Map<number, number[]>();
  for (const r of rollups) {
    if (r.minute < tailFrom) minutes.set(r.minute.getTime(), { ...r, seconds: 60 });
  }
  for (const r of inferenceRollups) {
    if (r.minute < tailFrom) addCounts(latencies, r.minute.getTime(), r.latencyCounts);
  }
  if (tailFrom <= to) {
    const tailWhere = { deviceId, ts: { gte: tailFrom, lte: to } };
    const [samples, inference] = await Promise.all([
      db.telemetrySample.findMany({ where: tailWhere, select: rawSelect }),
      db.inferenceSample.findMany({ where: tailWhere, select: { ts: true, latencyCounts: true } }),
    ]);
    for (const s of samples) foldRaw(minutes, s);
    for (const i of inference) {
      addCounts(latencies, Math.floor(i.ts.getTime() / MINUTE_MS) * MINUTE_MS, i.latencyCounts);
    }
  }
  const points: SeriesPoint[] = [...minutes.entries()]
    .filter(([, m]) => m.samples > 0)
    .sort(([a], [b]) => a - b)
    .map(([t, m]) => ({
      t,
      cpuPercent: m.cpuSum / m.samples,
      memoryPercent: percent(m.memoryUsedSum / m.samples, m.memoryTotalBytes),
      temperatureC: m.temperatureSamples > 0 ? m.temperatureSum / m.temperatureSamples : null,
      requestsPerSecond: m.requests / Math.min(60, Math.max(1, m.seconds)),
      errorsPerSecond: m.errors / Math.min(60, Math.max(1, m.seconds)),
      ...latency(latencies.get(t)),
    }));
  return { resolutionSeconds: 60, from: from.getTime(), to: to.getTime(), points };
}

export async function deviceSeries(
  db: Db,
  input: { deviceId: string; range: SeriesRange; now?: Date },
): Promise<DeviceSeries> {
  const seconds = SERIES_RANGES[input.range];
  if (!seconds) throw new DomainError('INVALID', `range must be one of ${Object.keys(SERIES_RANGES).join(', ')}`);
  const device = await db.device.findUnique({ where: { id: input.deviceId }, select: { id: true } });
  if (!device) throw new DomainError('NOT_FOUND', `No device with id ${input.deviceId}`);
  const to = input.now ?? new Date();
  const from = new Date(to.getTime() - seconds * 1000);
  const series =
    input.range === '1h'
      ? await rawSeries(db, input.deviceId, from, to)
      : await minuteSeries(db, input.deviceId, new Date(Math.floor(from.getTime() / MINUTE_MS) * MINUTE_MS), to);
  return { range: input.range, ...series };
}
