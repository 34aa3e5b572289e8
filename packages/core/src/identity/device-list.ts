import type { Db, Prisma } from '@edgefleet/db/client';
import type { TDeviceFacts } from '@edgefleet/protocol/device';
import { DomainError } from '../errors.ts';
import { DEVICE_STATUSES, type DeviceStatus, readTags, type Tags } from './common.ts';
import { groupMembersWhere } from './groups.ts';

export type DeviceSort = 'name' | 'createdAt' | 'lastSeenAt' | 'status';

export interface DeviceListQuery {
  /** Substring of the name, or a device id prefix, or an exact serial number / hardware id. */
  q?: string;
  status?: DeviceStatus[];
  /** A group name: a static group's assigned devices, or a dynamic group's matching ones. */
  group?: string;
  tag?: { key: string; value: string }[];
  sort?: DeviceSort;
  order?: 'asc' | 'desc';
  limit?: number;
  cursor?: string | null;
}

export interface DeviceSummary {
  id: string;
  name: string;
  status: DeviceStatus;
  group: string | null;
  tags: Tags;
  online: boolean;
  lastSeenAt: Date | null;
  createdAt: Date;
  certificateNotAfter: Date | null;
  facts: Pick<TDeviceFacts, 'os' | 'arch' | 'accelerators' | 'agentVersion'>;
}

export const MAX_DEVICE_PAGE = 200;

export const summarySelect = {
  id: true,
  name: true,
  status: true,
  group: { select: { name: true } },
  tags: true,
  online: true,
  lastSeenAt: true,
  createdAt: true,
  facts: true,
  // The current certificate: the newest one still in force.
  certificates: {
    where: { revokedAt: null, retiredAt: null },
    orderBy: { notAfter: 'desc' },
    take: 1,
    select: { notAfter: true },
  },
} as const satisfies Prisma.DeviceSelect;

type SummaryRow = Prisma.DeviceGetPayload<{ select: typeof summarySelect }>;

export const readFacts = (facts: Prisma.JsonValue) => (facts ?? {}) as TDeviceFacts;

export function toSummary(row: SummaryRow): DeviceSummary {
  const facts = readFacts(row.facts);
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    group: row.group?.name ?? null,
    tags: readTags(row.tags),
    online: row.online,
    lastSeenAt: row.lastSeenAt,
    createdAt: row.createdAt,
    certificateNotAfter: row.certificates[0]?.notAfter ?? null,
    facts: { os: facts.os, arch: facts.arch, accelerators: facts.accelerators ?? [], agentVersion: facts.agentVersion },
  };
}

/**
 * Every filter runs in SQL; tag filters are JSON path equalities on the tags column. `group`
 * is the group's membership filter, resolved from its name beforehand.
 */
function filters(q: DeviceListQuery, group: Prisma.DeviceWhereInput | null): Prisma.DeviceWhereInput {
  const and: Prisma.DeviceWhereInput[] = [];
  const text = q.q?.trim();
  if (text) {
    and.push({
      OR: [
        { name: { contains: text, mode: 'insensitive' } },
        { id: { startsWith: text.toLowerCase() } },
        { serialNumber: text },
        { hardwareId: text },
      ],
    });
  }
  if (q.status?.length) and.push({ status: { in: q.status } });
  if (group) and.push(group);
  for (const t of q.tag ?? []) and.push({ tags: { path: [t.key], equals: t.value } });
  return { AND: and };
}

interface Cursor {
  sort: DeviceSort;
  order: 'asc' | 'desc';
  /** The sort column's value on the last row sent (ISO string for dates), and its id. */
  value: string | null;
  id: string;
}

const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

function decodeCursor(raw: string, sort: DeviceSort, order: 'asc' | 'desc'): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Cursor;
    const valueOk = c.value === null || typeof c.value === 'string';
    if (c.sort === sort && c.order === order && typeof c.id === 'string' && valueOk) return c;
  } catch {}
  throw new DomainError('INVALID', 'cursor is malformed or belongs to a different sort order');
}

/**
 * Rows strictly after the cursor in (sort column, id) order. lastSeenAt is nullable and sorted
 * NULLS LAST both ways, so never-seen devices form a tail ordered by id alone.
 */
function after(c: Cursor): Prisma.DeviceWhereInput {
  const cmp = c.order === 'asc' ? 'gt' : 'lt';
  const idAfter = { id: { [cmp]: c.id } };
  switch (c.sort) {
    case 'name':
      return { OR: [{ name: { [cmp]: c.value ?? '' } }, { name: c.value ?? '', ...idAfter }] };
    case 'createdAt': {
      const at = new Date(c.value ?? 0);
      return { OR: [{ createdAt: { [cmp]: at } }, { createdAt: at, ...idAfter }] };
    }
    case 'lastSeenAt': {
      if (c.value === null) return { lastSeenAt: null, ...idAfter };
      const at = new Date(c.value);
      return { OR: [{ lastSeenAt: { [cmp]: at } }, { lastSeenAt: at, ...idAfter }, { lastSeenAt: null }] };
    }
    case 'status': {
      // PostgreSQL orders an enum by declaration order, which DEVICE_STATUSES mirrors.
      const i = DEVICE_STATUSES.indexOf(c.value as DeviceStatus);
      const later = c.order === 'asc' ? DEVICE_STATUSES.slice(i + 1) : DEVICE_STATUSES.slice(0, Math.max(i, 0));
      return { OR: [{ status: { in: later } }, { status: c.value as DeviceStatus, ...idAfter }] };
    }
  }
}

function orderBy(sort: DeviceSort, order: 'asc' | 'desc'): Prisma.DeviceOrderByWithRelationInput[] {
  const first: Prisma.DeviceOrderByWithRelationInput =
    sort === 'lastSeenAt' ? { lastSeenAt: { sort: order, nulls: 'last' } } : { [sort]: order };
  return [first, { id: order }];
}

function cursorValue(row: SummaryRow, sort: DeviceSort): string | null {
  if (sort === 'name' || sort === 'status') return row[sort];
  const at = row[sort];
  return at ? at.toISOString() : null;
}

/**
 * One page of devices. Keyset pagination on (sort column, id): each page is an index range
 * scan however deep the caller pages, unlike OFFSET, and rows inserted meanwhile never shift
 * a page. `total` is a COUNT over the same filters.
 */
export async function listDevices(
  db: Db,
  q: DeviceListQuery = {},
): Promise<{ devices: DeviceSummary[]; nextCursor: string | null; total: number }> {
  const sort = q.sort ?? 'createdAt';
  const order = q.order ?? (sort === 'name' || sort === 'status' ? 'asc' : 'desc');
  const limit = Math.min(Math.max(Math.trunc(q.limit ?? 50), 1), MAX_DEVICE_PAGE);
  const where = filters(q, q.group ? await groupMembersWhere(db, q.group) : null);
  const cursor = q.cursor ? decodeCursor(q.cursor, sort, order) : null;
  const [rows, total] = await Promise.all([
    db.device.findMany({
      where: cursor ? { AND: [where, after(cursor)] } : where,
      orderBy: orderBy(sort, order),
      take: limit + 1,
      select: summarySelect,
    }),
    db.device.count({ where }),
  ]);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > limit && last ? encodeCursor({ sort, order, value: cursorValue(last, sort), id: last.id }) : null;
  return { devices: page.map(toSummary), nextCursor, total };
}

/** How many devices are in each status (the list's status chips); every status present, zero or not. */
export async function countDevicesByStatus(db: Db): Promise<Record<DeviceStatus, number>> {
  const rows = await db.device.groupBy({ by: ['status'], _count: { _all: true } });
  const counts = Object.fromEntries(DEVICE_STATUSES.map((s) => [s, 0])) as Record<DeviceStatus, number>;
  for (const r of rows) counts[r.status] = r._count._all;
  return counts;
}
