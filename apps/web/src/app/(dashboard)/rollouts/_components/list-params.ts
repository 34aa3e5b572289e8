/** The rollouts list lives in the URL (status filter, keyset cursor), like the devices list. */
import { ROLLOUT_STATUSES, type RolloutStatus } from './states';

export const ROLLOUT_PAGE_SIZE = 25;

export interface RolloutListParams {
  status: RolloutStatus | null;
  cursor: string | null;
  /** Cursors of the pages before this one ('' for the first), for "Previous". */
  prev: string[];
}

type SearchParams = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? '';
const many = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function readRolloutParams(sp: SearchParams): RolloutListParams {
  const status = one(sp.status);
  return {
    status: (ROLLOUT_STATUSES as readonly string[]).includes(status) ? (status as RolloutStatus) : null,
    cursor: one(sp.cursor).slice(0, 64) || null,
    prev: many(sp.prev).slice(-200),
  };
}

export function rolloutsHref(p: RolloutListParams, change: Partial<RolloutListParams>): string {
  const paging = 'cursor' in change || 'prev' in change;
  const next: RolloutListParams = { ...p, ...(paging ? {} : { cursor: null, prev: [] }), ...change };
  const sp = new URLSearchParams();
  if (next.status) sp.set('status', next.status);
  if (next.cursor) {
    sp.set('cursor', next.cursor);
    for (const c of next.prev) sp.append('prev', c);
  }
  const qs = sp.toString();
  return qs ? `/rollouts?${qs}` : '/rollouts';
}
