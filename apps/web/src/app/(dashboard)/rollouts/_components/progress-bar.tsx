import { bucketCounts, type StateCountMap, totalOf } from './states';

/**
 * Device states of a rollout (or one phase) as one stacked bar. Each segment's width is its
 * share of the devices; the summary is spelled out for screen readers and on hover.
 */
export function ProgressBar({
  counts,
  total: totalProp,
  size = 'md',
  testId,
}: {
  counts: StateCountMap;
  /** Devices the bar stands for; defaults to the sum of `counts`. */
  total?: number;
  size?: 'sm' | 'md';
  testId?: string;
}) {
  const total = Math.max(totalProp ?? 0, totalOf(counts));
  const buckets = bucketCounts(counts).filter((b) => b.count > 0);
  const summary = total === 0 ? 'no devices' : buckets.map((b) => `${b.count} ${b.label}`).join(', ');
  return (
    <div
      role="img"
      aria-label={summary}
      title={summary}
      data-testid={testId}
      className={`flex w-full overflow-hidden rounded-full bg-slate-100 ${size === 'sm' ? 'h-1.5' : 'h-2.5'}`}
    >
      {total > 0
        ? buckets.map((b) => (
            <div
              key={b.key}
              className={`${b.color} h-full shrink-0 not-last:border-r not-last:border-white/70`}
              style={{ width: `${(b.count / total) * 100}%` }}
            />
          ))
        : null}
    </div>
  );
}

/** The colours of the bar, with counts: the key under a bar. */
export function ProgressLegend({ counts, showZero = false }: { counts: StateCountMap; showZero?: boolean }) {
  const buckets = bucketCounts(counts).filter((b) => showZero || b.count > 0);
  return (
    <ul className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600" data-testid="progress-legend">
      {buckets.map((b) => (
        <li key={b.key} className="inline-flex items-center gap-1.5">
          <span className={`size-2 rounded-full ${b.color}`} aria-hidden="true" />
          {b.label}
          <span className="font-medium text-slate-900 tabular-nums">{b.count.toLocaleString('en-US')}</span>
        </li>
      ))}
    </ul>
  );
}
