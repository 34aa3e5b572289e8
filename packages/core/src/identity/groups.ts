import { randomBytes } from 'node:crypto';
import { type Db, Prisma } from '@edgefleet/db/client';
import type { Principal } from '../access.ts';
import { DomainError } from '../errors.ts';
import { normaliseGroupName, normaliseTags, readTags, type Tags } from './common.ts';

/**
 * Device groups. A static group (selector null) holds the devices whose groupId points at it;
 * a dynamic group holds every device whose tags contain its selector, so membership follows
 * tag changes with nothing to keep in sync.
 */
export type GroupKind = 'static' | 'dynamic';

export interface GroupView {
  id: string;
  name: string;
  kind: GroupKind;
  selector: Tags | null;
  deviceCount: number;
  createdAt: Date;
}

export const MAX_SELECTOR_PAIRS = 16;
const MAX_SELECTOR_VALUE = 128;

/** Selector keys follow the tag key rules (1-64 characters); values are 1-128 printable characters. */
export function normaliseSelector(selector: Record<string, unknown>): Tags {
  const out = normaliseTags(selector, 'selector');
  const pairs = Object.entries(out);
  if (pairs.length === 0) {
    throw new DomainError('INVALID', 'selector: give at least one key=value, or none at all for a static group');
  }
  if (pairs.length > MAX_SELECTOR_PAIRS) {
    throw new DomainError('INVALID', `selector: at most ${MAX_SELECTOR_PAIRS} key=value pairs`);
  }
  for (const [key, value] of pairs) {
    if (!value || value.length > MAX_SELECTOR_VALUE) {
      throw new DomainError('INVALID', `selector: "${key}" needs a value of 1-${MAX_SELECTOR_VALUE} characters`);
    }
  }
  return out;
}

/**
 * A stored selector with its keys sorted (jsonb keeps its own order: shortest key first), or
 * null for a static group; an empty or hand-mangled selector counts as none.
 */
export function readSelector(value: Prisma.JsonValue | null): Tags | null {
  const pairs = Object.entries(value === null ? {} : readTags(value));
  return pairs.length ? Object.fromEntries(pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : null;
}

/**
 * The device filter for a group's members. For a dynamic group each selector pair is a JSON
 * path equality, which for string values means exactly `tags @> selector`: Prisma has no
 * operator that emits a bare `@>` on an object (`array_contains` adds a jsonb_typeof = 'array'
 * check), and this is the same form the devices list's tag filter uses.
 */
export function membershipWhere(group: { id: string; selector: Tags | null }): Prisma.DeviceWhereInput {
  if (!group.selector) return { groupId: group.id };
  return { AND: Object.entries(group.selector).map(([key, value]) => ({ tags: { path: [key], equals: value } })) };
}

/** The members filter for a group name; an unknown name matches no device. */
export async function groupMembersWhere(db: Pick<Db, 'deviceGroup'>, name: string): Promise<Prisma.DeviceWhereInput> {
  const group = await db.deviceGroup.findUnique({ where: { name }, select: { id: true, selector: true } });
  if (!group) return { id: { in: [] } };
  return membershipWhere({ id: group.id, selector: readSelector(group.selector) });
}

const groupSelect = { id: true, name: true, selector: true, createdAt: true } as const;
type GroupRow = Prisma.DeviceGroupGetPayload<{ select: typeof groupSelect }>;

/**
 * Member counts in one statement: static groups by groupId, dynamic ones by containment, which
 * the GIN (jsonb_path_ops) index on tags answers without reading every device.
 */
async function memberCounts(db: Db, ids: string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await db.$queryRaw<{ id: string; n: number }[]>`
    SELECT g."id",
      CASE WHEN g."selector" IS NULL OR jsonb_typeof(g."selector") <> 'object' OR g."selector" = '{}'::jsonb
        THEN (SELECT count(*) FROM "devices" d WHERE d."groupId" = g."id")
        ELSE (SELECT count(*) FROM "devices" d WHERE d."tags" @> g."selector")
      END::int AS "n"
    FROM "device_groups" g
    WHERE g."id" = ANY(${ids}::text[])`;
  return new Map(rows.map((r) => [r.id, Number(r.n)]));
}

function toView(row: GroupRow, counts: Map<string, number>): GroupView {
  const selector = readSelector(row.selector);
  return {
    id: row.id,
    name: row.name,
    kind: selector ? 'dynamic' : 'static',
    selector,
    deviceCount: counts.get(row.id) ?? 0,
    createdAt: row.createdAt,
  };
}

export async function listGroups(db: Db): Promise<GroupView[]> {
  const rows = await db.deviceGroup.findMany({ orderBy: { name: 'asc' }, select: groupSelect });
  const counts = await memberCounts(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toView(r, counts));
}

export async function getGroup(db: Db, id: string): Promise<GroupView> {
  const row = await db.deviceGroup.findUnique({ where: { id }, select: groupSelect });
  if (!row) throw new DomainError('NOT_FOUND', `No group with id ${id}`);
  return toView(row, await memberCounts(db, [id]));
}

const isUniqueViolation = (e: unknown) => (e as { code?: string } | null)?.code === 'P2002';
const jsonSelector = (selector: Tags | null) => selector ?? Prisma.DbNull;

// Mutations take the actor for the same shape as the other services; the tRPC middleware
// writes their audit events, so core does not.

export async function createGroup(
  db: Db,
  _actor: Principal,
  input: { name: string; selector?: Record<string, string> | null },
): Promise<GroupView> {
  const name = normaliseGroupName(input.name);
  const selector = input.selector ? normaliseSelector(input.selector) : null;
  try {
    const row = await db.deviceGroup.create({
      data: { id: `grp_${randomBytes(8).toString('hex')}`, name, selector: jsonSelector(selector) },
      select: groupSelect,
    });
    return toView(row, await memberCounts(db, [row.id]));
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError('CONFLICT', `A group named "${name}" already exists`);
    throw e;
  }
}

/**
 * Makes a group dynamic (a selector) or static (null). A static group turning dynamic lets go
 * of its assigned devices in the same transaction: membership is then the selector alone, and
 * no device should go on naming as its group one it may not match.
 */
export async function updateGroupSelector(
  db: Db,
  _actor: Principal,
  id: string,
  selector: Record<string, string> | null,
): Promise<GroupView> {
  const next = selector ? normaliseSelector(selector) : null;
  await db.$transaction(async (tx) => {
    const updated = await tx.deviceGroup.updateMany({ where: { id }, data: { selector: jsonSelector(next) } });
    if (updated.count !== 1) throw new DomainError('NOT_FOUND', `No group with id ${id}`);
    if (next) await tx.device.updateMany({ where: { groupId: id }, data: { groupId: null } });
  });
  return getGroup(db, id);
}

/** Deletes a group. Devices assigned to a static group are left without one (the foreign key's SET NULL). */
export async function deleteGroup(
  db: Db,
  _actor: Principal,
  id: string,
): Promise<{ id: string; name: string; kind: GroupKind }> {
  const row = await db.deviceGroup.findUnique({ where: { id }, select: { id: true, name: true, selector: true } });
  // deleteMany: a concurrent delete of the same group is a NOT_FOUND, not a Prisma error.
  const deleted = row ? await db.deviceGroup.deleteMany({ where: { id } }) : { count: 0 };
  if (!row || deleted.count !== 1) throw new DomainError('NOT_FOUND', `No group with id ${id}`);
  return { id: row.id, name: row.name, kind: readSelector(row.selector) ? 'dynamic' : 'static' };
}
