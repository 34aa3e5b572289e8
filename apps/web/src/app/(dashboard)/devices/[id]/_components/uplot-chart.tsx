'use client';

import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
  /** Formats a value for the legend. */
  format: (v: number) => string;
  dash?: number[];
}

const HEIGHT = 160;
const AXIS = { stroke: '#64748b', grid: { stroke: '#f1f5f9', width: 1 }, ticks: { stroke: '#e2e8f0', width: 1 } };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** Times in UTC and 24 h, like every other time in the dashboard (lib/format.ts). */
const clock = (d: Date) => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
const day = (d: Date) => `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;

/** x ticks: clock times over a day or less; over longer spans, the date at midnight. */
function xTicks(u: uPlot, ticks: number[]): string[] {
  const span = (u.scales.x?.max ?? 0) - (u.scales.x?.min ?? 0);
  return ticks.map((t) => {
    const d = new Date(t * 1000);
    if (span <= 2 * 86_400) return clock(d);
    return d.getUTCHours() === 0 && d.getUTCMinutes() === 0 ? day(d) : clock(d);
  });
}

/** Shows the newest point in the legend while the cursor is off the plot (uPlot shows "--"). */
function legendAtLatest(u: uPlot) {
  if (u.cursor.idx == null && u.data[0].length > 0) u.setLegend({ idx: u.data[0].length - 1 });
}

/**
 * One uPlot canvas. The plot is created once per mount and fed new data with setData: polls and
 * range switches never rebuild it, which keeps a week of points (~10k) cheap to refresh. Width
 * follows the container; cursors of charts sharing `syncKey` move together.
 */
export function UPlotChart({
  series,
  data,
  yRange,
  syncKey,
  testId,
}: {
  series: ChartSeries[];
  data: uPlot.AlignedData;
  /** Fixed y range (percentages); otherwise from zero to the data's maximum. */
  yRange?: [number, number];
  syncKey: string;
  testId?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latestData = useRef(data);
  latestData.current = data;

  // Options are read once: a chart's series never change while it is mounted.
  // biome-ignore lint/correctness/useExhaustiveDependencies: created once per mount by design
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 200),
      height: HEIGHT,
      // Tick positions in UTC (labels are formatted in UTC by xTicks).
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      cursor: { sync: { key: syncKey }, drag: { x: true, y: false }, y: false },
      legend: { live: true },
      scales: {
        x: { time: true },
        y: yRange ? { range: yRange } : { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        { ...AXIS, size: 28, values: xTicks },
        { ...AXIS, size: 58, values: (_u, ticks) => ticks.map((v) => series[0]?.format(v) ?? String(v)) },
      ],
      series: [
        {
          label: 'Time',
          value: (_u: uPlot, v: number | null) =>
            v == null ? '—' : `${day(new Date(v * 1000))} ${clock(new Date(v * 1000))}`,
        },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 1.5,
          ...(s.dash ? { dash: s.dash } : {}),
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v == null ? '—' : s.format(v)),
        })),
      ],
      hooks: { setData: [legendAtLatest], setCursor: [legendAtLatest] },
    };
    const u = new uPlot(opts, latestData.current, el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = el.clientWidth;
      if (w > 0 && Math.abs(w - u.width) > 1) u.setSize({ width: w, height: HEIGHT });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  // uPlot's legend (a table under the plot) in the dashboard's type scale.
  return (
    <div
      ref={box}
      className="w-full min-w-0 [&_.u-legend]:text-xs [&_.u-legend]:text-slate-600 [&_.u-legend_th]:font-medium [&_.u-series>*]:px-1 [&_.u-series>*]:py-0.5"
      data-testid={testId}
    />
  );
}
