import { StatusChips } from '@/components/status-chips';
import type { DeviceStatusCounts } from '@/lib/router-types';
import { DEVICE_STATUSES, type DeviceStatus, type ListParams, listHref } from './list-params';

const DOT: Record<DeviceStatus, string> = {
  pending: 'bg-amber-400',
  accepted: 'bg-emerald-500',
  rejected: 'bg-red-500',
  revoked: 'bg-red-500',
  decommissioned: 'bg-slate-400',
};

/** Status filter with counts across the whole fleet. */
export function DeviceStatusChips({ params, counts }: { params: ListParams; counts: DeviceStatusCounts }) {
  return (
    <StatusChips
      statuses={DEVICE_STATUSES}
      active={params.status}
      href={(status) => listHref(params, { status })}
      dot={DOT}
      counts={counts}
      testId="status-chips"
      chipTestIdPrefix="status-chip"
    />
  );
}
