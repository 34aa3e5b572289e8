/**
 * The devices list lives in the URL (filters, sort, cursor), so every view is a link that can
 * be shared, reloaded and navigated with Back. Cursors are keyset cursors from core: the
 * database seeks straight to the page, which keeps page 2000 of 100k devices as fast as page 1.
 */
import { DEVICE_STATUSES, type TDeviceStatus } from '@edgefleet/protocol/device';

export { DEVICE_STATUSES };
export type DeviceStatus = TDeviceStatus;
export const SORTS = { name: 'name', created: 'createdAt', seen: 'lastSeenAt' } as const;
export type SortKey = keyof typeof SORTS;
export const PAGE_SIZE = 50;

export interface ListParams {
  status: DeviceStatus | null;
  q: string;
  group: string;
  /** `key=value`, several separated by commas. */
  tag: string;
  sort: SortKey;
  order: 'asc' | 'desc';
  cursor: string | null;
  /** Cursors of the pages before this one ('' for the first), for "Previous". */
  prev: string[];
}

type SearchParams = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? '';
const many = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export const defaultOrder = (sort: SortKey): 'asc' | 'desc' => (sort === 'name' ? 'asc' : 'desc');

export function readListParams(sp: SearchParams): ListParams {
  const status = one(sp.status);
  const sort = (one(sp.sort) in SORTS ? one(sp.sort) : 'created') as SortKey;
  const order = one(sp.order);
  return {
    status: (DEVICE_STATUSES as readonly string[]).includes(status) ? (status as DeviceStatus) : null,
    q: one(sp.q).trim().slice(0, 200),
    group: one(sp.group).trim().slice(0, 100),
    tag: one(sp.tag).trim().slice(0, 500),
    sort,
    order: order === 'asc' || order === 'desc' ? order : defaultOrder(sort),
    cursor: one(sp.cursor) || null,
    prev: many(sp.prev).slice(-500),
  };
}

export function parseTagFilter(tag: string): { key: string; value: string }[] {
  return tag
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.includes('='))
    .slice(0, 10)
    .map((t) => ({ key: t.slice(0, t.indexOf('=')).trim(), value: t.slice(t.indexOf('=') + 1).trim() }))
    .filter((t) => t.key);
}

/** The procedure's input for these params. */
export function toListQuery(p: ListParams) {
  const tag = parseTagFilter(p.tag);
  return {
    ...(p.status ? { status: [p.status] } : {}),
    ...(p.q ? { q: p.q } : {}),
    ...(p.group ? { group: p.group } : {}),
    ...(tag.length ? { tag } : {}),
    sort: SORTS[p.sort],
    order: p.order,
    limit: PAGE_SIZE,
    cursor: p.cursor,
  };
}

/** A link to the list with some params changed. Changing a filter or sort goes back to page 1. */
export function listHref(p: ListParams, change: Partial<ListParams>): string {
  const paging = 'cursor' in change || 'prev' in change;
  const next: ListParams = { ...p, ...(paging ? {} : { cursor: null, prev: [] }), ...change };
  const sp = new URLSearchParams();
  if (next.status) sp.set('status', next.status);
  if (next.q) sp.set('q', next.q);
  if (next.group) sp.set('group', next.group);
  if (next.tag) sp.set('tag', next.tag);
  if (next.sort !== 'created') sp.set('sort', next.sort);
  if (next.order !== defaultOrder(next.sort)) sp.set('order', next.order);
  if (next.cursor) {
    sp.set('cursor', next.cursor);
    for (const c of next.prev) sp.append('prev', c);
  }
  const qs = sp.toString();
  return qs ? `/devices?${qs}` : '/devices';
}
