import { describe, expect, it } from 'vitest';
import { latest, type SeriesColumns, toChartData } from './chart-data';

const columns = (t: number[], cpu: number[]): SeriesColumns => ({
  resolutionSeconds: 10,
  t,
  cpuPercent: cpu,
  memoryPercent: cpu,
  temperatureC: cpu.map(() => null),
  requestsPerSecond: cpu,
  errorsPerSecond: cpu,
  latencyP50Ms: cpu,
  latencyP95Ms: cpu,
});

describe('toChartData', () => {
  it('converts milliseconds to seconds and keeps every column aligned', () => {
    const d = toChartData(columns([10_000, 20_000, 30_000], [1, 2, 3]));
    expect(d.x).toEqual([10, 20, 30]);
    expect(d.cpuPercent).toEqual([1, 2, 3]);
    expect(d.temperatureC).toEqual([null, null, null]);
  });

  it('breaks the line where points are more than three intervals apart', () => {
    const d = toChartData(columns([0, 10_000, 100_000, 110_000], [1, 2, 3, 4]));
    expect(d.x).toEqual([0, 10, 20, 100, 110]);
    expect(d.cpuPercent).toEqual([1, 2, null, 3, 4]);
    expect(d.latencyP95Ms).toHaveLength(5);
  });

  it('is empty for no points', () => {
    expect(toChartData(columns([], [])).x).toEqual([]);
  });
});

describe('latest', () => {
  it('skips trailing nulls', () => {
    expect(latest([1, 2, null])).toBe(2);
    expect(latest([null])).toBeNull();
  });
});
