/** The alerts list lives in the URL (state and severity filters, keyset cursor), like the rollouts list. */
import { ALERT_SEVERITIES, type TAlertSeverity } from '@edgefleet/protocol/health';

export const ALERT_PAGE_SIZE = 50;
export const ALERT_STATE_FILTERS = ['open', 'firing', 'acknowledged', 'resolved'] as const;
export type AlertStateFilter = (typeof ALERT_STATE_FILTERS)[number];

export interface AlertListParams {
  /** null: every state. The page opens on `open` (firing or acknowledged) when nothing is asked. */
  state: AlertStateFilter | null;
  severity: TAlertSeverity | null;
  cursor: string | null;
  prev: string[];
}

type SearchParams = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? '';
const many = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function readAlertParams(sp: SearchParams): AlertListParams {
  const state = one(sp.state);
  const severity = one(sp.severity);
  return {
    state:
      state === 'all'
        ? null
        : (ALERT_STATE_FILTERS as readonly string[]).includes(state)
          ? (state as AlertStateFilter)
          : 'open',
    severity: (ALERT_SEVERITIES as readonly string[]).includes(severity) ? (severity as TAlertSeverity) : null,
    cursor: one(sp.cursor).slice(0, 64) || null,
    prev: many(sp.prev).slice(-200),
  };
}

export function alertsHref(p: AlertListParams, change: Partial<AlertListParams>): string {
  const paging = 'cursor' in change || 'prev' in change;
  const next: AlertListParams = { ...p, ...(paging ? {} : { cursor: null, prev: [] }), ...change };
  const sp = new URLSearchParams();
  if (next.state !== 'open') sp.set('state', next.state ?? 'all');
  if (next.severity) sp.set('severity', next.severity);
  if (next.cursor) {
    sp.set('cursor', next.cursor);
    for (const c of next.prev) sp.append('prev', c);
  }
  const qs = sp.toString();
  return qs ? `/alerts?${qs}` : '/alerts';
}
