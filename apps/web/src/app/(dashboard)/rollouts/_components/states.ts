import { ROLLOUT_DEVICE_STATES, ROLLOUT_STATUSES, type TRolloutDeviceState } from '@edgefleet/protocol/rollout';
import type { BadgeTone } from '@/components/badge';

export { ROLLOUT_DEVICE_STATES, ROLLOUT_STATUSES };
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];
export type DeviceState = TRolloutDeviceState;
export type StateCountMap = Partial<Record<string, number>>;

export const STATUS_TONE: Record<RolloutStatus, BadgeTone> = {
  running: 'indigo',
  paused: 'amber',
  completed: 'green',
  failed: 'red',
  aborted: 'slate',
  rolled_back: 'red',
};

/** Running and paused rollouts still change: their pages poll. */
export const isActiveStatus = (s: string) => s === 'running' || s === 'paused';

export const STATE_TONE: Record<DeviceState, BadgeTone> = {
  queued: 'slate',
  shadowing: 'indigo',
  notified: 'indigo',
  downloading: 'indigo',
  verifying: 'indigo',
  installing: 'indigo',
  health_check: 'indigo',
  succeeded: 'green',
  failed: 'red',
  timed_out: 'red',
  rolled_back: 'amber',
  skipped: 'slate',
  cancelled: 'slate',
};

/** `health_check` → `health check`: states read as words. */
export const label = (s: string) => s.replaceAll('_', ' ');

/**
 * The progress bar groups the thirteen states into what an operator asks of a rollout: how
 * many are done, on their way, failed, sent back, left out or still waiting. Order = bar order.
 */
export const BUCKETS = [
  { key: 'succeeded', label: 'succeeded', color: 'bg-emerald-500', states: ['succeeded'] },
  {
    key: 'updating',
    label: 'updating',
    color: 'bg-indigo-500',
    states: ['notified', 'downloading', 'verifying', 'installing', 'health_check'],
  },
  { key: 'shadowing', label: 'shadowing', color: 'bg-violet-400', states: ['shadowing'] },
  { key: 'failed', label: 'failed', color: 'bg-red-500', states: ['failed', 'timed_out'] },
  { key: 'rolled_back', label: 'rolled back', color: 'bg-amber-400', states: ['rolled_back'] },
  { key: 'skipped', label: 'skipped', color: 'bg-slate-500', states: ['skipped', 'cancelled'] },
  { key: 'queued', label: 'queued', color: 'bg-slate-300', states: ['queued'] },
] as const satisfies readonly { key: string; label: string; color: string; states: readonly DeviceState[] }[];

export function bucketCounts(counts: StateCountMap) {
  return BUCKETS.map((b) => ({ ...b, count: b.states.reduce((n, s) => n + (counts[s] ?? 0), 0) }));
}

export const totalOf = (counts: StateCountMap) => Object.values(counts).reduce<number>((n, c) => n + (c ?? 0), 0);
