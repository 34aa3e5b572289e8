/**
 * The series procedure's columns turned into uPlot's aligned data: x in seconds, one array per
 * series, with a null point wherever the device went quiet for more than a few intervals, so
 * the line breaks there instead of drawing a straight line across the outage.
 */

export type SeriesColumns = {
  resolutionSeconds: number;
  t: number[];
  cpuPercent: number[];
  memoryPercent: number[];
  temperatureC: (number | null)[];
  requestsPerSecond: number[];
  errorsPerSecond: number[];
  latencyP50Ms: (number | null)[];
  latencyP95Ms: (number | null)[];
};

export const METRICS = [
  'cpuPercent',
  'memoryPercent',
  'temperatureC',
  'requestsPerSecond',
  'errorsPerSecond',
  'latencyP50Ms',
  'latencyP95Ms',
] as const;
export type Metric = (typeof METRICS)[number];

export type ChartData = { x: number[] } & Record<Metric, (number | null)[]>;

/** Points further apart than this many intervals are drawn as a gap. */
const GAP_INTERVALS = 3;

export function toChartData(s: SeriesColumns): ChartData {
  const out: ChartData = { x: [], ...Object.fromEntries(METRICS.map((m) => [m, []])) } as unknown as ChartData;
  const gapMs = GAP_INTERVALS * s.resolutionSeconds * 1000;
  for (let i = 0; i < s.t.length; i++) {
    const t = s.t[i] as number;
    const prev = s.t[i - 1];
    if (prev !== undefined && t - prev > gapMs) {
      out.x.push((prev + s.resolutionSeconds * 1000) / 1000);
      for (const m of METRICS) out[m].push(null);
    }
    out.x.push(t / 1000);
    for (const m of METRICS) out[m].push(s[m][i] ?? null);
  }
  return out;
}

/** The newest non-null value of a series, for the panel header. */
export function latest(values: (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}
