import { type Db, Prisma } from '@edgefleet/db/client';
import { compareSemver } from '@edgefleet/protocol/semver';
import { type DesiredWrite, setDesired, setShadow } from './desired.ts';
import type { RunningRollout } from './engine-state.ts';
import { noVariantReason, type VariantArtifact, variantPicker } from './variants.ts';

/**
 * Notifying a device = moving its row out of `queued` and writing its desired state, in one
 * transaction: a crash leaves either both or neither, and the row lock (FOR UPDATE … SKIP LOCKED
 * on `queued` rows) means two engines, or an engine restarted mid-tick, never notify a device
 * twice for one attempt. The rollout row is read FOR SHARE first, so a pause, abort or rollback
 * committed before the batch stops it, and one in progress waits for it.
 */

/** Rows per transaction; a tick notifies up to MAX_NOTIFY_PER_TICK per rollout. */
export const NOTIFY_BATCH = 1_000;
export const MAX_NOTIFY_PER_TICK = 10_000;

type Mode = 'install' | 'shadow';

interface Candidate {
  deviceId: string;
  attempts: number;
  facts: unknown;
  deviceStatus: string;
  previousVersion: string | null;
}

interface Decision {
  deviceId: string;
  attempts: number;
  previousVersion: string | null;
  state: 'notified' | 'shadowing' | 'failed' | 'cancelled';
  path: string | null;
  reason: string | null;
}

export interface NotifyResult {
  /** Rows taken out of `queued` (notified, or failed/cancelled because they cannot be). */
  taken: number;
  notified: number;
}

/**
 * Notifies up to `limit` due devices, in batches. Install mode takes queued rows of phases up to
 * the current one (retries included once their backoff is over); shadow mode takes the cohort.
 */
export async function notifyDevices(
  db: Db,
  r: RunningRollout,
  mode: Mode,
  limit: number,
  artifacts: VariantArtifact[],
  now: Date,
): Promise<NotifyResult> {
  const pick = variantPicker(artifacts);
  const total: NotifyResult = { taken: 0, notified: 0 };
  while (total.taken < limit) {
    const want = Math.min(NOTIFY_BATCH, limit - total.taken);
    const batch = await db.$transaction((tx) => notifyBatch(tx, r, mode, want, pick, now), {
      timeout: 60_000,
      maxWait: 20_000,
    });
    total.taken += batch.taken;
    total.notified += batch.notified;
    if (batch.taken < want) break;
  }
  return total;
}

async function notifyBatch(
  tx: Prisma.TransactionClient,
  r: RunningRollout,
  mode: Mode,
  n: number,
  pick: (facts: unknown) => VariantArtifact | null,
  now: Date,
): Promise<NotifyResult> {
  const [live] = await tx.$queryRaw<Array<{ status: string; currentPhase: number }>>`
    SELECT "status"::text AS "status", "currentPhase" FROM "rollouts" WHERE "id" = ${r.id} FOR SHARE`;
  if (live?.status !== 'running' || live.currentPhase !== r.currentPhase) return { taken: 0, notified: 0 };
  const candidates = await candidatesFor(tx, r, mode, n, now);
  if (candidates.length === 0) return { taken: 0, notified: 0 };
  const decisions = candidates.map((c) => decide(c, r, mode, pick));
  await tx.$executeRaw`
    UPDATE "rollout_devices" rd SET
      "state" = u."state"::"RolloutDeviceState",
      "artifactPath" = COALESCE(u."path", rd."artifactPath"),
      "reason" = u."reason",
      "stateChangedAt" = ${now}::timestamp(3),
      "notifiedAt" = CASE WHEN u."state" IN ('notified', 'shadowing') THEN ${now}::timestamp(3) ELSE rd."notifiedAt" END,
      "nextAttemptAt" = NULL,
      "metrics" = CASE WHEN u."state" = 'shadowing' THEN NULL ELSE rd."metrics" END,
      "updatedAt" = ${now}::timestamp(3)
    FROM unnest(${decisions.map((d) => d.deviceId)}::text[], ${decisions.map((d) => d.state)}::text[],
      ${decisions.map((d) => d.path)}::text[], ${decisions.map((d) => d.reason)}::text[])
      AS u("deviceId", "state", "path", "reason")
    WHERE rd."rolloutId" = ${r.id} AND rd."deviceId" = u."deviceId"`;
  const going = decisions.filter((d) => d.state === 'notified' || d.state === 'shadowing');
  if (mode === 'install') {
    await setDesired(
      tx,
      going.map((d) => desiredWrite(r, d)),
    );
  } else {
    await shadowCohort(tx, r, going);
    // The shadow phase's clock runs from the cohort's (latest) notification.
    if (going.length > 0) {
      await tx.rollout.updateMany({ where: { id: r.id, currentPhase: -1 }, data: { phaseStartedAt: now } });
    }
  }
  return { taken: decisions.length, notified: going.length };
}

/** Due queued rows in rollout order, locked; rows another engine holds are skipped, not waited for. */
function candidatesFor(tx: Prisma.TransactionClient, r: RunningRollout, mode: Mode, n: number, now: Date) {
  const scope =
    mode === 'shadow'
      ? Prisma.sql`rd."shadow"`
      : Prisma.sql`rd."phase" <= ${r.currentPhase}::int
          AND (rd."nextAttemptAt" IS NULL OR rd."nextAttemptAt" <= ${now}::timestamp(3))`;
  return tx.$queryRaw<Candidate[]>`
    SELECT rd."deviceId", rd."attempts", d."facts", d."status"::text AS "deviceStatus", pv."version" AS "previousVersion"
    FROM "rollout_devices" rd
    JOIN "devices" d ON d."id" = rd."deviceId"
    LEFT JOIN "model_versions" pv ON pv."id" = rd."previousVersionId"
    WHERE rd."rolloutId" = ${r.id} AND rd."state" = 'queued' AND ${scope}
    ORDER BY rd."ordinal"
    LIMIT ${n}::int
    FOR UPDATE OF rd SKIP LOCKED`;
}

function decide(
  c: Candidate,
  r: RunningRollout,
  mode: Mode,
  pick: (facts: unknown) => VariantArtifact | null,
): Decision {
  const base = { deviceId: c.deviceId, attempts: c.attempts, previousVersion: c.previousVersion };
  if (c.deviceStatus !== 'accepted') {
    return { ...base, state: 'cancelled', path: null, reason: `device is ${c.deviceStatus}` };
  }
  const variant = pick(c.facts);
  if (!variant) return { ...base, state: 'failed', path: null, reason: noVariantReason(c.facts, r.version) };
  return { ...base, state: mode === 'shadow' ? 'shadowing' : 'notified', path: variant.path, reason: null };
}

/**
 * The device's desired entry for the rollout's version. `rollback` is set when the version is
 * lower than the one the device had (an operator rolling out an older version on purpose): the
 * agent refuses a downgrade without that signed permission.
 */
function desiredWrite(r: RunningRollout, d: Decision): DesiredWrite {
  return {
    deviceId: d.deviceId,
    modelId: r.modelId,
    versionId: r.versionId,
    artifactPath: d.path ?? '',
    rollback: d.previousVersion !== null && compareSemver(r.version, d.previousVersion) < 0,
    force: r.force,
    rolloutId: r.id,
    attempt: d.attempts,
    shadow: null,
  };
}

/** The candidate beside each cohort device's serving version; one setShadow per artifact path. */
async function shadowCohort(tx: Prisma.TransactionClient, r: RunningRollout, going: Decision[]): Promise<void> {
  const byPath = new Map<string, string[]>();
  for (const d of going) {
    if (!d.path) continue;
    const ids = byPath.get(d.path) ?? [];
    ids.push(d.deviceId);
    byPath.set(d.path, ids);
  }
  for (const [path, ids] of byPath) {
    await setShadow(tx, ids, r.modelId, {
      versionId: r.versionId,
      artifactPath: path,
      samplePercent: r.shadow?.samplePercent ?? 100,
    });
  }
}
