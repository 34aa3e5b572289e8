import Link from 'next/link';

/**
 * A status filter as links ("All" first): one click, no client code. Each chip has a coloured
 * dot and, when `counts` is given, its count ("All": the sum).
 */
export function StatusChips<S extends string>({
  statuses,
  active,
  href,
  dot,
  label = (s) => s,
  counts,
  testId,
  chipTestIdPrefix,
}: {
  statuses: readonly S[];
  /** The status filtered on; null is "All". */
  active: S | null;
  href: (status: S | null) => string;
  /** Background class of each status's dot. */
  dot: Record<S, string>;
  /** How a status reads (the chip capitalises it). */
  label?: (status: S) => string;
  counts?: Record<S, number>;
  testId: string;
  /** Each chip's test id is `<prefix>-<status>`, `<prefix>-all` for "All". */
  chipTestIdPrefix: string;
}) {
  const chips: { status: S | null; text: string; count: number | undefined }[] = [
    { status: null, text: 'All', count: counts && statuses.reduce((n, s) => n + counts[s], 0) },
    ...statuses.map((s) => ({ status: s, text: label(s), count: counts?.[s] })),
  ];
  return (
    <nav aria-label="Filter by status" className="flex flex-wrap gap-2" data-testid={testId}>
      {chips.map(({ status, text, count }) => {
        const on = active === status;
        return (
          <Link
            key={status ?? ''}
            href={href(status)}
            aria-current={on ? 'true' : undefined}
            data-testid={`${chipTestIdPrefix}-${status ?? 'all'}`}
            className={`inline-flex items-center gap-2 rounded-full px-3 py-1 text-sm font-medium capitalize ring-1 ring-inset transition-colors ${
              on
                ? 'bg-indigo-600 text-white ring-indigo-600'
                : 'bg-white text-slate-700 ring-slate-300 hover:bg-slate-50'
            }`}
          >
            {status ? <span className={`size-1.5 rounded-full ${dot[status]}`} aria-hidden="true" /> : null}
            {text}
            {count === undefined ? null : (
              <span
                className={`rounded-full px-1.5 text-xs tabular-nums ${on ? 'bg-white/20 text-white' : 'bg-slate-100 text-slate-600'}`}
              >
                {count.toLocaleString('en-US')}
              </span>
            )}
          </Link>
        );
      })}
    </nav>
  );
}
