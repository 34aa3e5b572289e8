import Link from 'next/link';
import type { DeviceStatusCounts } from '@/lib/router-types';
import { DEVICE_STATUSES, type DeviceStatus, type ListParams, listHref } from './list-params';

const DOT: Record<DeviceStatus, string> = {
  pending: 'bg-amber-400',
  accepted: 'bg-emerald-500',
  rejected: 'bg-red-500',
  revoked: 'bg-red-500',
  decommissioned: 'bg-slate-400',
};

/** Status filter as links: one click, no client code, counts across the whole fleet. */
export function StatusChips({ params, counts }: { params: ListParams; counts: DeviceStatusCounts }) {
  const total = DEVICE_STATUSES.reduce((n, s) => n + counts[s], 0);
  const chips: { status: DeviceStatus | null; label: string; count: number }[] = [
    { status: null, label: 'All', count: total },
    ...DEVICE_STATUSES.map((s) => ({ status: s, label: s, count: counts[s] })),
  ];
  return (
    <nav aria-label="Filter by status" className="flex flex-wrap gap-2" data-testid="status-chips">
      {chips.map(({ status, label, count }) => {
        const active = params.status === status;
        return (
          <Link
            key={label}
            href={listHref(params, { status })}
            aria-current={active ? 'true' : undefined}
            data-testid={`status-chip-${status ?? 'all'}`}
            className={`inline-flex items-center gap-2 rounded-full px-3 py-1 text-sm font-medium capitalize ring-1 ring-inset transition-colors ${
              active
                ? 'bg-indigo-600 text-white ring-indigo-600'
                : 'bg-white text-slate-700 ring-slate-300 hover:bg-slate-50'
            }`}
          >
            {status ? <span className={`size-1.5 rounded-full ${DOT[status]}`} aria-hidden="true" /> : null}
            {label}
            <span
              className={`rounded-full px-1.5 text-xs tabular-nums ${active ? 'bg-white/20 text-white' : 'bg-slate-100 text-slate-600'}`}
            >
              {count.toLocaleString('en-US')}
            </span>
          </Link>
        );
      })}
    </nav>
  );
}
