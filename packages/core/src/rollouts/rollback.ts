import type { Prisma } from '@edgefleet/db/client';
import { clearDesired, type DesiredWrite, setDesired } from './desired.ts';
import { loadArtifacts, variantPicker } from './variants.ts';

export interface RevertCounts {
  /** Devices whose desired entry went back to their previous version (with `rollback: true`). */
  toPrevious: number;
  /** Devices that had no previous version: the model is removed from their desired set. */
  cleared: number;
  /** Devices whose desired entry no longer comes from this rollout (a pin, a later rollout): untouched. */
  leftAlone: number;
}

const TOOK_VERSION = ['notified', 'downloading', 'verifying', 'installing', 'health_check', 'succeeded'];

interface Row {
  deviceId: string;
  state: string;
  previousVersionId: string | null;
  previousVersion: string | null;
  facts: unknown;
  desiredRollout: string | null;
  desiredVersion: string | null;
  desiredRollback: boolean | null;
}

/**
 * Reverts the desired state of every device this rollout sent the version to (failed and timed
 * out ones too: their desired entry still names the version). Only entries the rollout still owns
 * are touched — the version is its version, written by this rollout or by a later rollout's
 * rollback that returned the device to it — so rolling back an old rollout never undoes a pin or
 * a later rollout still in place. Devices that had taken the version move to
 * `rolled_back`; failed and timed-out ones keep their state.
 */
export async function revertDevices(
  tx: Prisma.TransactionClient,
  rollout: { id: string; modelId: string; versionId: string; force: boolean },
  reason: string,
  now: Date,
): Promise<RevertCounts> {
  const rows = await tx.$queryRaw<Row[]>`
    SELECT rd."deviceId", rd."state"::text AS "state", rd."previousVersionId", pv."version" AS "previousVersion",
      d."facts", dd."rolloutId" AS "desiredRollout", dd."versionId" AS "desiredVersion",
      dd."rollback" AS "desiredRollback"
    FROM "rollout_devices" rd
    JOIN "devices" d ON d."id" = rd."deviceId"
    LEFT JOIN "model_versions" pv ON pv."id" = rd."previousVersionId"
    LEFT JOIN "device_desired_models" dd ON dd."deviceId" = rd."deviceId" AND dd."modelId" = ${rollout.modelId}
    WHERE rd."rolloutId" = ${rollout.id}
      AND rd."state" IN ('notified', 'downloading', 'verifying', 'installing', 'health_check', 'succeeded',
                         'failed', 'timed_out')`;
  // Ours: written by this rollout, or by a later rollout's rollback that returned the device to
  // this rollout's version (its entry names that later rollout). A pin (no rollout) is never ours.
  const owned = (r: Row) =>
    r.desiredVersion === rollout.versionId &&
    (r.desiredRollout === rollout.id || (r.desiredRollback === true && r.desiredRollout !== null));
  const previous = await loadArtifacts(
    tx,
    rows.flatMap((r) => (owned(r) && r.previousVersionId ? [r.previousVersionId] : [])),
  );
  const pickers = new Map([...previous].map(([id, artifacts]) => [id, variantPicker(artifacts)]));
  const writes: DesiredWrite[] = [];
  const cleared: string[] = [];
  const updates: Array<{ deviceId: string; state: string; reason: string }> = [];
  let leftAlone = 0;
  for (const r of rows) {
    const took = TOOK_VERSION.includes(r.state);
    if (!owned(r)) {
      if (r.desiredVersion !== null) leftAlone += 1;
      if (took && r.desiredVersion !== null) {
        const by = r.desiredRollout ? `rollout ${r.desiredRollout}` : 'a pin or another change';
        updates.push({
          deviceId: r.deviceId,
          state: r.state,
          reason: `not rolled back: its version now comes from ${by}`,
        });
      }
      continue;
    }
    const variant = r.previousVersionId ? (pickers.get(r.previousVersionId)?.(r.facts) ?? null) : null;
    if (r.previousVersionId && variant) {
      writes.push({
        deviceId: r.deviceId,
        modelId: rollout.modelId,
        versionId: r.previousVersionId,
        artifactPath: variant.path,
        rollback: true,
        force: rollout.force,
        rolloutId: rollout.id,
        attempt: 0,
        shadow: null,
      });
    } else {
      cleared.push(r.deviceId);
    }
    if (took) {
      const to = r.previousVersion && variant ? r.previousVersion : 'no version (the model is removed)';
      updates.push({ deviceId: r.deviceId, state: 'rolled_back', reason: `rolled back to ${to}: ${reason}` });
    }
  }
  await setDesired(tx, writes);
  await clearDesired(tx, cleared, rollout.modelId);
  if (updates.length > 0) {
    await tx.$executeRaw`
      UPDATE "rollout_devices" rd SET "state" = u."state"::"RolloutDeviceState", "reason" = left(u."reason", 1000),
        "stateChangedAt" = CASE WHEN u."state" = rd."state"::text THEN rd."stateChangedAt" ELSE ${now}::timestamp(3) END,
        "updatedAt" = ${now}::timestamp(3)
      FROM unnest(${updates.map((u) => u.deviceId)}::text[], ${updates.map((u) => u.state)}::text[],
        ${updates.map((u) => u.reason)}::text[]) AS u("deviceId", "state", "reason")
      WHERE rd."rolloutId" = ${rollout.id} AND rd."deviceId" = u."deviceId"`;
  }
  return { toPrevious: writes.length, cleared: cleared.length, leftAlone };
}
