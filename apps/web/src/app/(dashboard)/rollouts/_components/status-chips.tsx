import { StatusChips } from '@/components/status-chips';
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

export function RolloutStatusChips({ params }: { params: RolloutListParams }) {
  return (
    <StatusChips
      statuses={ROLLOUT_STATUSES}
      active={params.status}
      href={(status) => rolloutsHref(params, { status })}
      dot={DOT}
      label={label}
      testId="rollout-status-chips"
      chipTestIdPrefix="rollout-chip"
    />
  );
}
