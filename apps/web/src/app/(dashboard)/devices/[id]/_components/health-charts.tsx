'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Activity } from 'lucide-react';
import { useMemo, useState } from 'react';
import type uPlot from 'uplot';
import { Alert } from '@/components/alert';
import { Card, CardHeader } from '@/components/card';
import { Skeleton } from '@/components/skeleton';
import { useTRPC } from '@/lib/trpc';
import { type ChartData, latest, type Metric, toChartData } from './chart-data';
import { type ChartSeries, UPlotChart } from './uplot-chart';

const RANGES = [
  { key: '1h', label: '1 h', refreshMs: 10_000 },
  { key: '24h', label: '24 h', refreshMs: 60_000 },
  { key: '7d', label: '7 d', refreshMs: 120_000 },
] as const;
type Range = (typeof RANGES)[number]['key'];

const num = (digits: number) => (v: number) =>
  v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
const pct = (v: number) => `${num(1)(v)}%`;
const ms = (v: number) => (v >= 1000 ? `${num(1)(v / 1000)} s` : `${num(v < 1 ? 2 : 0)(v)} ms`);
const perSec = (v: number) => `${num(v < 10 ? 2 : 0)(v)}/s`;

interface Panel {
  key: string;
  title: string;
  yRange?: [number, number];
  lines: (ChartSeries & { metric: Metric })[];
}

const PANELS: Panel[] = [
  {
    key: 'cpu',
    title: 'CPU',
    yRange: [0, 100],
    lines: [{ metric: 'cpuPercent', label: 'CPU', color: '#4f46e5', format: pct }],
  },
  {
    key: 'memory',
    title: 'Memory',
    yRange: [0, 100],
    lines: [{ metric: 'memoryPercent', label: 'Memory', color: '#0891b2', format: pct }],
  },
  {
    key: 'temperature',
    title: 'Temperature',
    lines: [{ metric: 'temperatureC', label: 'Temperature', color: '#ea580c', format: (v) => `${num(1)(v)} °C` }],
  },
  {
    key: 'latency',
    title: 'Inference latency',
    lines: [
      { metric: 'latencyP50Ms', label: 'p50', color: '#4f46e5', format: ms },
      { metric: 'latencyP95Ms', label: 'p95', color: '#d97706', format: ms, dash: [4, 3] },
    ],
  },
  {
    key: 'throughput',
    title: 'Throughput',
    lines: [{ metric: 'requestsPerSecond', label: 'Requests', color: '#059669', format: perSec }],
  },
  {
    key: 'errors',
    title: 'Errors',
    lines: [{ metric: 'errorsPerSecond', label: 'Errors', color: '#dc2626', format: perSec }],
  },
];

function RangeSwitch({ value, onChange }: { value: Range; onChange: (r: Range) => void }) {
  return (
    <fieldset className="inline-flex rounded-md bg-slate-100 p-0.5" data-testid="health-range">
      <legend className="sr-only">Time range</legend>
      {RANGES.map((r) => (
        <button
          key={r.key}
          type="button"
          aria-pressed={value === r.key}
          onClick={() => onChange(r.key)}
          className={`rounded px-2.5 py-1 text-xs font-medium transition-colors ${
            value === r.key ? 'bg-white text-slate-900 shadow-sm' : 'text-slate-600 hover:text-slate-900'
          }`}
        >
          {r.label}
        </button>
      ))}
    </fieldset>
  );
}

function ChartPanel({ panel, data, syncKey }: { panel: Panel; data: ChartData; syncKey: string }) {
  const aligned = useMemo(
    () => [data.x, ...panel.lines.map((l) => data[l.metric])] as uPlot.AlignedData,
    [data, panel],
  );
  return (
    <div className="min-w-0" data-testid={`chart-${panel.key}`}>
      <div className="flex items-baseline justify-between gap-2 px-1">
        <h3 className="text-sm font-medium text-slate-700">{panel.title}</h3>
        <p className="text-sm text-slate-900 tabular-nums" data-testid={`chart-${panel.key}-latest`}>
          {panel.lines.map((l, i) => {
            const v = latest(data[l.metric]);
            return (
              <span key={l.metric}>
                {i > 0 ? <span className="text-slate-300"> · </span> : null}
                {panel.lines.length > 1 ? <span className="text-xs text-slate-500">{l.label} </span> : null}
                {v === null ? '—' : l.format(v)}
              </span>
            );
          })}
        </p>
      </div>
      <UPlotChart series={panel.lines} data={aligned} yRange={panel.yRange} syncKey={syncKey} />
    </div>
  );
}

/** The device's metrics over 1 h, 24 h or 7 d, refreshed while the page is open. */
export function HealthCharts({ deviceId }: { deviceId: string }) {
  const trpc = useTRPC();
  const [range, setRange] = useState<Range>('1h');
  const refreshMs = RANGES.find((r) => r.key === range)?.refreshMs ?? 60_000;
  const query = useQuery({
    ...trpc.health.series.queryOptions({ deviceId, range }),
    refetchInterval: refreshMs,
    placeholderData: keepPreviousData,
    staleTime: 5_000,
  });
  const data = useMemo(() => (query.data ? toChartData(query.data) : null), [query.data]);
  const syncKey = `device-${deviceId}`;
  const empty = query.data && query.data.t.length === 0 && !query.isPlaceholderData;

  return (
    <Card>
      <CardHeader
        title="Health"
        description={
          query.data && !empty
            ? `${query.data.resolutionSeconds === 60 ? 'One point per minute' : `One point per sample (~${query.data.resolutionSeconds} s)`}; refreshes every ${refreshMs / 1000} s.`
            : 'CPU, memory, temperature and inference as the agent reports them.'
        }
        action={<RangeSwitch value={range} onChange={setRange} />}
      />
      <div
        className="px-5 py-4"
        data-testid="health-charts"
        data-range={query.isPlaceholderData ? undefined : query.data?.range}
        data-points={query.data?.t.length}
        aria-busy={query.isFetching}
      >
        {query.error ? (
          <div className="mb-4">
            <Alert tone={query.data ? 'warning' : 'error'}>
              {query.data ? 'Could not refresh the charts: ' : 'Could not load the charts: '}
              {query.error.message}
            </Alert>
          </div>
        ) : null}
        {!data ? (
          query.error ? null : (
            <div className="grid gap-x-6 gap-y-5 md:grid-cols-2" role="status" aria-label="Loading charts">
              {PANELS.map((p) => (
                <Skeleton key={p.key} className="h-[190px] w-full" />
              ))}
            </div>
          )
        ) : empty ? (
          <div className="flex flex-col items-center py-10 text-center" data-testid="health-charts-empty">
            <span className="flex size-10 items-center justify-center rounded-full bg-slate-100">
              <Activity className="size-5 text-slate-400" aria-hidden="true" />
            </span>
            <p className="mt-3 text-sm font-medium text-slate-900">
              No telemetry in the last {RANGES.find((r) => r.key === range)?.label}
            </p>
            <p className="mt-1 max-w-sm text-sm text-slate-500">
              The agent reports every 10 seconds while it is connected. Try a longer range, or check that the device is
              online.
            </p>
          </div>
        ) : (
          <div
            className={`grid gap-x-6 gap-y-5 transition-opacity md:grid-cols-2 ${query.isPlaceholderData ? 'opacity-50' : ''}`}
          >
            {PANELS.map((p) => (
              <ChartPanel key={p.key} panel={p} data={data} syncKey={syncKey} />
            ))}
          </div>
        )}
      </div>
    </Card>
  );
}
