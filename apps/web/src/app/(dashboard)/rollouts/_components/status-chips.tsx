import Link from 'next/link';
import { type RolloutListParams, rolloutsHref } from './list-params';
import { label, ROLLOUT_STATUSES, type RolloutStatus } from './states';

const DOT: Record<RolloutStatus, string> = {
  running: 'bg-indigo-500',
  paused: 'bg-amber-400',
  completed: 'bg-emerald-500',
  failed: 'bg-red-500',
  aborted: 'bg-slate-400',
  rolled_back: 'bg-red-400',
};

/** Status filter as links, the same chips as the devices list. */
export function RolloutStatusChips({ params }: { params: RolloutListParams }) {
  const chips: { status: RolloutStatus | null; text: string }[] = [
    { status: null, text: 'All' },
    ...ROLLOUT_STATUSES.map((s) => ({ status: s, text: label(s) })),
  ];
  return (
    <nav aria-label="Filter by status" className="flex flex-wrap gap-2" data-testid="rollout-status-chips">
      {chips.map(({ status, text }) => {
        const active = params.status === status;
        return (
          <Link
            key={text}
            href={rolloutsHref(params, { status })}
            aria-current={active ? 'true' : undefined}
            data-testid={`rollout-chip-${status ?? 'all'}`}
            className={`inline-flex items-center gap-2 rounded-full px-3 py-1 text-sm font-medium capitalize ring-1 ring-inset transition-colors ${
              active
                ? 'bg-indigo-600 text-white ring-indigo-600'
                : 'bg-white text-slate-700 ring-slate-300 hover:bg-slate-50'
            }`}
          >
            {status ? <span className={`size-1.5 rounded-full ${DOT[status]}`} aria-hidden="true" /> : null}
            {text}
          </Link>
        );
      })}
    </nav>
  );
}
