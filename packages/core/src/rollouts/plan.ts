import { Prisma } from '@edgefleet/db/client';
import { type TCreateRollout, type TCreateRolloutParsed, ZCreateRollout } from '@edgefleet/protocol/rollout';
import type { Principal } from '../access.ts';
import { DomainError } from '../errors.ts';
import { parseOrInvalid } from '../identity/refusals.ts';
import {
  addRolloutEvents,
  auditRefusal,
  auditSuccess,
  clockOf,
  type DbOrTx,
  newRolloutId,
  type RolloutDeps,
} from './events.ts';
import { type PlannedPhase, phasePlan, type StoredGates, shadowCohortSize, shadowLabel } from './gates.ts';
import {
  lockModel,
  type PublishedVersion,
  pinHolds,
  pinsCte,
  publishedVersion,
  selectorCondition,
  targetStats,
} from './targets.ts';

export interface CreatedRollout {
  id: string;
  /** Devices that will install the version (pinned ones excluded). */
  deviceCount: number;
  /** Matched devices skipped because a pin holds them on another version. */
  skipped: number;
}

/** Interactive transactions default to 5 s; planning 100k devices must not be cut off by that. */
export const PLAN_TRANSACTION = { timeout: 120_000, maxWait: 20_000 } as const;

/**
 * Plans a rollout: checks the version, resolves the selector, refuses overlap with another
 * active rollout of the model, and writes one row per matched device in a single
 * INSERT … SELECT (ordinal, phase, shadow cohort, previous version and pin skips all computed in
 * SQL), so planning 100k devices takes one round trip. Audited either way.
 */
export async function createRollout(
  deps: RolloutDeps,
  principal: Principal,
  input: TCreateRollout,
): Promise<CreatedRollout> {
  const { db } = deps;
  const now = clockOf(deps)();
  const id = newRolloutId();
  const audit = {
    actor: principal,
    action: 'rollout.create',
    target: { type: 'rollout', id },
    detail: { model: input?.model, version: input?.version },
  };
  return auditRefusal(db, audit, async () => {
    const plan = parseOrInvalid(ZCreateRollout, input);
    const version = await publishedVersion(db, plan.model, plan.version);
    const created = await db.$transaction(async (tx) => {
      await lockModel(tx, version.modelId);
      return planInTransaction(tx, { id, plan, version, principal, now });
    }, PLAN_TRANSACTION);
    await auditSuccess(db, {
      ...audit,
      detail: { ...audit.detail, deviceCount: created.deviceCount, skipped: created.skipped, selector: plan.selector },
    });
    return created;
  });
}

export interface PlanInput {
  id: string;
  plan: TCreateRolloutParsed;
  version: PublishedVersion;
  principal: Principal | null;
  now: Date;
}

/**
 * The planning statements, for callers that already hold the model's lock in a transaction
 * (createRollout; benchmarks measure this part alone).
 */
export async function planInTransaction(tx: Prisma.TransactionClient, p: PlanInput): Promise<CreatedRollout> {
  const { plan, version, now } = p;
  // Sorting 100k rows twice (cohort, order) spills to disk with the default 4 MB.
  await tx.$executeRaw`SET LOCAL work_mem = '64MB'`;
  const condition = await selectorCondition(tx, plan.selector);
  const stats = await targetStats(tx, version.modelId, condition, { withPrevious: plan.shadow !== undefined });
  if (stats.busy > 0) {
    const list = stats.busyRollouts.map((r) => `${r.id} (${r.count})`).join(', ');
    throw new DomainError(
      'CONFLICT',
      `${stats.busy} of the matched devices are in an active rollout of ${plan.model}: ${list}; finish, abort or roll it back first`,
      { rollouts: stats.busyRollouts },
    );
  }
  if (stats.eligible === 0) {
    const why = stats.matched === 0 ? 'matches no accepted device' : `matches ${stats.matched} devices, all pinned`;
    throw new DomainError('INVALID', `The selector ${why}`);
  }
  const phases = phasePlan(plan.strategy, stats.eligible);
  const shadowCount = plan.shadow ? shadowCohortSize(plan.shadow, stats.eligible, stats.withPrevious) : 0;
  if (plan.shadow && shadowCount === 0) {
    throw new DomainError(
      'INVALID',
      `A shadow phase needs devices that already run a version of ${plan.model}; none of the matched devices do`,
    );
  }
  const gates: StoredGates = { ...plan.gates, healthCheckSeconds: plan.healthCheckSeconds };
  await tx.rollout.create({
    data: {
      id: p.id,
      modelId: version.modelId,
      versionId: version.versionId,
      selector: plan.selector,
      strategy: plan.strategy,
      gates: gates as unknown as Prisma.InputJsonValue,
      onFailure: plan.onFailure,
      maxConcurrent: plan.maxConcurrent ?? null,
      window: plan.window ?? Prisma.DbNull,
      shadow: plan.shadow ?? Prisma.DbNull,
      stepTimeoutSeconds: plan.stepTimeoutSeconds,
      maxRetries: plan.maxRetries,
      force: plan.force,
      status: 'running',
      currentPhase: plan.shadow ? -1 : 0,
      phaseStartedAt: now,
      deviceCount: stats.eligible,
      createdById: p.principal?.userId ?? null,
      createdAt: now,
    },
  });
  const inserted = await insertDevices(tx, { ...p, condition, phases, shadowCount, hasPins: stats.hasPins });
  if (inserted.queued !== stats.eligible) {
    // Devices changed status between the two statements; the rows are what counts.
    await tx.rollout.update({ where: { id: p.id }, data: { deviceCount: inserted.queued } });
  }
  const phaseText = phases.map((ph) => `${ph.label} (${ph.target})`).join(', ');
  const shadowText = plan.shadow ? `; ${shadowLabel(plan.shadow)} on ${shadowCount} devices first` : '';
  await addRolloutEvents(tx, p.id, now, p.principal ?? 'engine', [
    {
      kind: 'created',
      message: `${plan.model}@${plan.version} to ${inserted.queued} devices (${inserted.skipped} pinned, skipped): ${phaseText}${shadowText}`,
    },
  ]);
  return { id: p.id, deviceCount: inserted.queued, skipped: inserted.skipped };
}

/**
 * One statement. Order: unpinned before pinned, the shadow cohort first, then md5(rollout id ||
 * device id), a stable shuffle that differs per rollout (compared bytewise: no collation rules
 * for hex). The cohort is drawn from devices that have a desired version of the model (a
 * candidate needs a serving version beside it). Pin matching and the cohort ranking are left out
 * when there are no pins or no shadow phase.
 */
async function insertDevices(
  db: DbOrTx,
  p: PlanInput & { condition: Prisma.Sql; phases: PlannedPhase[]; shadowCount: number; hasPins: boolean },
): Promise<{ queued: number; skipped: number }> {
  const last = Math.max(0, p.phases.length - 1);
  const whens = p.phases.slice(0, -1).map((ph) => Prisma.sql`WHEN r."ord" < ${ph.target}::int THEN ${ph.index}::int`);
  const phase = whens.length
    ? Prisma.sql`CASE WHEN r."pinId" IS NOT NULL THEN ${last}::int ${Prisma.join(whens, ' ')} ELSE ${last}::int END`
    : Prisma.sql`${last}::int`;
  const modelId = p.version.modelId;
  const pin = p.hasPins
    ? Prisma.sql`LEFT JOIN LATERAL (
        SELECT p."id", p."version" FROM pins p WHERE ${pinHolds} ORDER BY p."direct" DESC, p."id" LIMIT 1
      ) pin ON true`
    : Prisma.sql`LEFT JOIN (SELECT NULL::text AS "id", NULL::text AS "version") pin ON false`;
  const shadow =
    p.shadowCount > 0
      ? Prisma.sql`(m."pinId" IS NULL AND m."prev" IS NOT NULL AND row_number() OVER (
          PARTITION BY (m."pinId" IS NULL AND m."prev" IS NOT NULL) ORDER BY m."h") <= ${p.shadowCount}::int)`
      : Prisma.sql`false`;
  const [row] = await db.$queryRaw<Array<{ queued: number; skipped: number }>>`
    WITH ${pinsCte(modelId)},
    matched AS (
      SELECT d."id", pin."id" AS "pinId", pin."version" AS "pinVersion", dd."versionId" AS "prev",
        md5(${p.id} || d."id") COLLATE "C" AS "h"
      FROM "devices" d
      ${pin}
      LEFT JOIN "device_desired_models" dd ON dd."deviceId" = d."id" AND dd."modelId" = ${modelId}
      WHERE d."status" = 'accepted' AND ${p.condition}),
    cohort AS (SELECT m.*, ${shadow} AS "shadow" FROM matched m),
    ranked AS (
      SELECT c.*, (row_number() OVER (ORDER BY (c."pinId" IS NOT NULL), (NOT c."shadow"), c."h") - 1)::int AS "ord"
      FROM cohort c),
    ins AS (
      INSERT INTO "rollout_devices" ("rolloutId", "deviceId", "phase", "ordinal", "shadow", "state", "reason",
        "previousVersionId", "stateChangedAt", "updatedAt")
      SELECT ${p.id}, r."id", ${phase}, r."ord", r."shadow",
        (CASE WHEN r."pinId" IS NULL THEN 'queued' ELSE 'skipped' END)::"RolloutDeviceState",
        CASE WHEN r."pinId" IS NULL THEN NULL ELSE 'pinned to ' || r."pinVersion" || ' (pin ' || r."pinId" || ')' END,
        CASE WHEN r."pinId" IS NULL THEN r."prev" END, ${p.now}::timestamp(3), ${p.now}::timestamp(3)
      FROM ranked r
      RETURNING "state")
    SELECT count(*) FILTER (WHERE "state" = 'queued')::int AS "queued",
      count(*) FILTER (WHERE "state" = 'skipped')::int AS "skipped"
    FROM ins`;
  return row ?? { queued: 0, skipped: 0 };
}
