import { DeviceStateBadge } from '../../_components/rollout-status-badge';
import { type DeviceState, ROLLOUT_DEVICE_STATES, type StateCountMap } from '../../_components/states';

/**
 * Devices per state, every state with any device; a click filters the device table to it
 * (again: back to all).
 */
export function StateCounts({
  counts,
  active,
  onPick,
}: {
  counts: StateCountMap;
  active: DeviceState | null;
  onPick: (s: DeviceState | null) => void;
}) {
  const present = ROLLOUT_DEVICE_STATES.filter((s) => (counts[s] ?? 0) > 0);
  if (present.length === 0) return <p className="text-sm text-slate-400">No devices.</p>;
  return (
    <ul className="flex flex-wrap gap-2" data-testid="state-counts">
      {present.map((s) => (
        <li key={s}>
          <button
            type="button"
            aria-pressed={active === s}
            onClick={() => onPick(active === s ? null : s)}
            data-testid={`state-count-${s}`}
            className={`inline-flex items-center gap-2 rounded-md py-1 pr-2.5 pl-1 text-sm ring-1 ring-inset transition-colors ${
              active === s ? 'bg-indigo-50 ring-indigo-400' : 'bg-white ring-slate-200 hover:bg-slate-50'
            }`}
          >
            <DeviceStateBadge state={s} />
            <span className="font-semibold text-slate-900 tabular-nums">
              {(counts[s] ?? 0).toLocaleString('en-US')}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
