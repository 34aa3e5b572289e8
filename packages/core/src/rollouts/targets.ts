import { Prisma } from '@edgefleet/db/client';
import type { TRolloutSelector } from '@edgefleet/protocol/rollout';
import { DomainError } from '../errors.ts';
import { readSelector } from '../identity/groups.ts';
import type { DbOrTx } from './events.ts';

/**
 * Which devices a rollout or pin reaches, as SQL over `devices d`, so 100k devices are selected
 * without one row crossing into Node. Shared by planning, the selector preview and pins.
 */

/**
 * Accepted devices only; the selector's condition on `d`. Unknown groups and device ids are refused,
 * unless `refuseUnknown` is false (alert rules): then an unknown group matches no device, and device
 * ids are not looked up, so those that do not exist simply match nothing.
 */
export async function selectorCondition(
  db: DbOrTx,
  selector: TRolloutSelector,
  { refuseUnknown = true }: { refuseUnknown?: boolean } = {},
): Promise<Prisma.Sql> {
  switch (selector.kind) {
    case 'all':
      return Prisma.sql`TRUE`;
    case 'tags':
      return Prisma.sql`d."tags" @> ${JSON.stringify(selector.tags)}::jsonb`;
    case 'group': {
      const group = await db.deviceGroup.findUnique({
        where: { name: selector.group },
        select: { id: true, selector: true },
      });
      if (!group) {
        if (!refuseUnknown) return Prisma.sql`FALSE`;
        throw new DomainError('NOT_FOUND', `No group named "${selector.group}"`);
      }
      const tags = readSelector(group.selector);
      return tags ? Prisma.sql`d."tags" @> ${JSON.stringify(tags)}::jsonb` : Prisma.sql`d."groupId" = ${group.id}`;
    }
    case 'devices': {
      const ids = [...new Set(selector.deviceIds)];
      if (!refuseUnknown) return Prisma.sql`d."id" = ANY(${ids}::text[])`;
      const found = await db.$queryRaw<{ id: string }[]>`
        SELECT "id" FROM "devices" WHERE "id" = ANY(${ids}::text[]) AND "status" = 'accepted'`;
      const known = new Set(found.map((r) => r.id));
      const unknown = ids.filter((id) => !known.has(id));
      if (unknown.length > 0) {
        const shown = unknown.slice(0, 20).join(', ');
        const more = unknown.length > 20 ? ` and ${unknown.length - 20} more` : '';
        throw new DomainError('INVALID', `No accepted device with id ${shown}${more}`, { unknownDeviceIds: unknown });
      }
      return Prisma.sql`d."id" = ANY(${ids}::text[])`;
    }
  }
}

/**
 * `pins`: the model's pins with what matching needs. A group pin holds its static members (by
 * groupId) or its dynamic members (tags containing the selector), as group membership does.
 */
export const pinsCte = (modelId: string) => Prisma.sql`
  pins AS MATERIALIZED (
    SELECT p."id", p."deviceId", p."groupId", v."version", (p."deviceId" IS NOT NULL) AS "direct",
      (g."selector" IS NULL OR jsonb_typeof(g."selector") <> 'object' OR g."selector" = '{}'::jsonb) AS "static",
      g."selector" AS "groupSelector"
    FROM "device_pins" p
    JOIN "model_versions" v ON v."id" = p."versionId"
    LEFT JOIN "device_groups" g ON g."id" = p."groupId"
    WHERE p."modelId" = ${modelId})`;

/** Pin `p` (from `pins`) holds device `d`. */
export const pinHolds = Prisma.sql`(
  p."deviceId" = d."id"
  OR (p."groupId" IS NOT NULL AND CASE WHEN p."static" THEN COALESCE(d."groupId" = p."groupId", false)
                                     ELSE d."tags" @> p."groupSelector" END))`;

export const ACTIVE_STATUSES = Prisma.sql`('running', 'paused')`;

export interface TargetStats {
  matched: number;
  pinned: number;
  /** Matched, unpinned devices already in an active rollout of the model. */
  busy: number;
  eligible: number;
  /** Eligible devices that already have a desired version of the model (shadow candidates). */
  withPrevious: number;
  busyRollouts: Array<{ id: string; count: number }>;
  /** The model has pins at all (planning skips pin matching when not). */
  hasPins: boolean;
}

/**
 * Counts for a selector. Each costly part runs only when it can matter: pin matching when the
 * model has pins, the overlap join when the model has other active rollouts (and then only over
 * their rows), the previous-version count when asked. The common case is one count over the
 * selected devices.
 */
export async function targetStats(
  db: DbOrTx,
  modelId: string,
  condition: Prisma.Sql,
  opts: { withPrevious?: boolean } = {},
): Promise<TargetStats> {
  const [pins, active] = await Promise.all([
    db.devicePin.count({ where: { modelId } }),
    db.rollout.findMany({ where: { modelId, status: { in: ['running', 'paused'] } }, select: { id: true } }),
  ]);
  const pinned = pins > 0 ? Prisma.sql`EXISTS (SELECT 1 FROM pins p WHERE ${pinHolds})` : Prisma.sql`false`;
  const activeIds = active.map((r) => r.id);
  const busy =
    activeIds.length > 0
      ? Prisma.sql`SELECT rd."rolloutId", rd."deviceId" FROM matched m
          JOIN "rollout_devices" rd ON rd."deviceId" = m."id"
          WHERE NOT m."pinned" AND rd."rolloutId" = ANY(${activeIds}::text[]) AND rd."state" NOT IN ('skipped', 'cancelled')`
      : Prisma.sql`SELECT NULL::text AS "rolloutId", NULL::text AS "deviceId" WHERE false`;
  const withPrevious = opts.withPrevious
    ? Prisma.sql`(SELECT count(*) FROM matched m JOIN "device_desired_models" dd ON dd."deviceId" = m."id"
         AND dd."modelId" = ${modelId} WHERE NOT m."pinned")::int`
    : Prisma.sql`0`;
  const [row] = await db.$queryRaw<
    Array<{
      matched: number;
      pinned: number;
      busy: number;
      withPrevious: number;
      busyRollouts: Array<{ id: string; count: number }> | null;
    }>
  >`
    WITH ${pinsCte(modelId)},
    matched AS MATERIALIZED (
      SELECT d."id", ${pinned} AS "pinned" FROM "devices" d WHERE d."status" = 'accepted' AND ${condition}),
    busy AS (${busy})
    SELECT
      (SELECT count(*) FROM matched)::int AS "matched",
      (SELECT count(*) FROM matched WHERE "pinned")::int AS "pinned",
      (SELECT count(DISTINCT "deviceId") FROM busy)::int AS "busy",
      ${withPrevious} AS "withPrevious",
      (SELECT json_agg(json_build_object('id', b."rolloutId", 'count', b."n") ORDER BY b."n" DESC, b."rolloutId")
         FROM (SELECT "rolloutId", count(*)::int AS "n" FROM busy GROUP BY "rolloutId") b) AS "busyRollouts"`;
  const r = row ?? { matched: 0, pinned: 0, busy: 0, withPrevious: 0, busyRollouts: null };
  return {
    matched: r.matched,
    pinned: r.pinned,
    busy: r.busy,
    eligible: r.matched - r.pinned - r.busy,
    withPrevious: r.withPrevious,
    busyRollouts: r.busyRollouts ?? [],
    hasPins: pins > 0,
  };
}

export interface PublishedVersion {
  modelId: string;
  model: string;
  versionId: string;
  version: string;
  publisherKeyName: string;
}

/**
 * A published version whose publisher key still stands. Revoking a key stops new rollouts and
 * pins of everything it signed (FORBIDDEN), though devices keep what they already run.
 */
export async function publishedVersion(db: DbOrTx, model: string, version: string): Promise<PublishedVersion> {
  const row = await db.modelVersion.findFirst({
    where: { model: { name: model }, version, status: 'published' },
    select: {
      id: true,
      modelId: true,
      publisherKey: { select: { name: true, revokedAt: true } },
    },
  });
  if (!row) throw new DomainError('NOT_FOUND', `No published version ${model}@${version}`);
  if (row.publisherKey.revokedAt) {
    throw new DomainError(
      'FORBIDDEN',
      `${model}@${version} is signed by the revoked publisher key "${row.publisherKey.name}"; it cannot be rolled out or pinned`,
      { versionId: row.id },
    );
  }
  return { modelId: row.modelId, model, versionId: row.id, version, publisherKeyName: row.publisherKey.name };
}

/** Serialises plans and pins of one model, so two rollouts cannot both claim the same devices. */
export async function lockModel(tx: Prisma.TransactionClient, modelId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`edgefleet:rollout-model:${modelId}`}))`;
}
