import { type Db, Prisma } from '@edgefleet/db/client';
import { DomainError } from '../errors.ts';

/**
 * What each device should run, per model (`device_desired_models`), written by the engine, pins
 * and rollbacks. Every write that changes a device's set also marks its `device_instructions`
 * row dirty in the same statement, so the director signs it again; unchanged rows do not.
 *
 * Invariant the signer relies on: each change increments `device_instructions.version` (a
 * change counter that is also the lowest version the next signature carries) and sets `dirty`.
 */

type DbOrTx = Db | Prisma.TransactionClient;

export interface DesiredShadow {
  versionId: string;
  artifactPath: string;
  samplePercent: number;
}

export interface DesiredWrite {
  deviceId: string;
  modelId: string;
  versionId: string;
  artifactPath: string;
  rollback?: boolean;
  force?: boolean;
  rolloutId?: string | null;
  attempt?: number;
  /** A candidate evaluated beside the serving version; null clears it, undefined keeps the current one. */
  shadow?: DesiredShadow | null;
}

interface Artifact {
  modelId: string;
  versionId: string;
  path: string;
}

/** Refuses versions that are not published artifacts of the given model, naming a few. */
async function checkArtifacts(db: DbOrTx, wanted: Artifact[]): Promise<void> {
  const distinct = [...new Map(wanted.map((a) => [`${a.modelId}\n${a.versionId}\n${a.path}`, a])).values()];
  if (distinct.length === 0) return;
  const missing = await db.$queryRaw<Artifact[]>`
    SELECT w."modelId", w."versionId", w."path"
    FROM unnest(${distinct.map((a) => a.modelId)}::text[], ${distinct.map((a) => a.versionId)}::text[],
                ${distinct.map((a) => a.path)}::text[]) AS w("modelId", "versionId", "path")
    WHERE NOT EXISTS (
      SELECT 1 FROM "model_versions" v JOIN "model_artifacts" a ON a."versionId" = v."id"
      WHERE v."id" = w."versionId" AND v."modelId" = w."modelId" AND v."status" = 'published' AND a."path" = w."path")
    LIMIT 5`;
  if (missing.length > 0) {
    const list = missing.map((m) => `${m.versionId}:${m.path}`).join(', ');
    throw new DomainError('INVALID', `not a published artifact of the model: ${list}`);
  }
}

/** Appended to a CTE `changed` returning "deviceId": bumps each changed device's instruction. */
const MARK_DIRTY = Prisma.sql`
  INSERT INTO "device_instructions" ("deviceId", "version", "dirty", "changedAt")
  SELECT DISTINCT "deviceId", 1, true, now() FROM changed
  ON CONFLICT ("deviceId") DO UPDATE
  SET "version" = "device_instructions"."version" + 1, "dirty" = true, "changedAt" = now()`;

/**
 * Upserts desired rows in one statement per kind of write (with or without a shadow decision),
 * marking changed devices dirty in that same statement. A later write for the same device and
 * model in `writes` wins.
 */
export async function setDesired(db: DbOrTx, writes: DesiredWrite[]): Promise<void> {
  const last = [...new Map(writes.map((w) => [`${w.deviceId}\n${w.modelId}`, w])).values()];
  if (last.length === 0) return;
  await checkArtifacts(db, [
    ...last.map((w) => ({ modelId: w.modelId, versionId: w.versionId, path: w.artifactPath })),
    ...last.flatMap((w) =>
      w.shadow ? [{ modelId: w.modelId, versionId: w.shadow.versionId, path: w.shadow.artifactPath }] : [],
    ),
  ]);
  for (const w of last) {
    const percent = w.shadow?.samplePercent;
    if (percent !== undefined && (!Number.isInteger(percent) || percent < 1 || percent > 100)) {
      throw new DomainError('INVALID', 'shadow samplePercent must be a whole number from 1 to 100');
    }
    if (w.attempt !== undefined && (!Number.isInteger(w.attempt) || w.attempt < 0)) {
      throw new DomainError('INVALID', 'attempt must be a non-negative integer');
    }
  }
  const withShadow = last.filter((w) => w.shadow !== undefined);
  const keepShadow = last.filter((w) => w.shadow === undefined);
  if (withShadow.length > 0) await upsert(db, withShadow, true);
  if (keepShadow.length > 0) await upsert(db, keepShadow, false);
}

async function upsert(db: DbOrTx, rows: DesiredWrite[], setShadow: boolean): Promise<void> {
  // Fixed SQL text: the shadow columns are only written (and compared) when the write decides them.
  const shadowSet = setShadow
    ? Prisma.sql`, "shadowVersionId" = EXCLUDED."shadowVersionId", "shadowArtifactPath" = EXCLUDED."shadowArtifactPath",
        "shadowSamplePercent" = EXCLUDED."shadowSamplePercent"`
    : Prisma.empty;
  const shadowOld = setShadow
    ? Prisma.sql`, d."shadowVersionId", d."shadowArtifactPath", d."shadowSamplePercent"`
    : Prisma.empty;
  const shadowNew = setShadow
    ? Prisma.sql`, EXCLUDED."shadowVersionId", EXCLUDED."shadowArtifactPath", EXCLUDED."shadowSamplePercent"`
    : Prisma.empty;
  await db.$executeRaw`
    WITH changed AS (
      INSERT INTO "device_desired_models" AS d ("deviceId", "modelId", "versionId", "artifactPath",
        "shadowVersionId", "shadowArtifactPath", "shadowSamplePercent", "rollback", "force", "rolloutId", "attempt",
        "updatedAt")
      SELECT w.*, now()
      FROM unnest(
        ${rows.map((w) => w.deviceId)}::text[],
        ${rows.map((w) => w.modelId)}::text[],
        ${rows.map((w) => w.versionId)}::text[],
        ${rows.map((w) => w.artifactPath)}::text[],
        ${rows.map((w) => w.shadow?.versionId ?? null)}::text[],
        ${rows.map((w) => w.shadow?.artifactPath ?? null)}::text[],
        ${rows.map((w) => w.shadow?.samplePercent ?? null)}::int[],
        ${rows.map((w) => w.rollback ?? false)}::boolean[],
        ${rows.map((w) => w.force ?? false)}::boolean[],
        ${rows.map((w) => w.rolloutId ?? null)}::text[],
        ${rows.map((w) => w.attempt ?? 0)}::int[]) AS w
      ON CONFLICT ("deviceId", "modelId") DO UPDATE SET
        "versionId" = EXCLUDED."versionId", "artifactPath" = EXCLUDED."artifactPath",
        "rollback" = EXCLUDED."rollback", "force" = EXCLUDED."force", "rolloutId" = EXCLUDED."rolloutId",
        "attempt" = EXCLUDED."attempt", "updatedAt" = now() ${shadowSet}
      WHERE (d."versionId", d."artifactPath", d."rollback", d."force", d."rolloutId", d."attempt" ${shadowOld})
        IS DISTINCT FROM (EXCLUDED."versionId", EXCLUDED."artifactPath", EXCLUDED."rollback", EXCLUDED."force",
          EXCLUDED."rolloutId", EXCLUDED."attempt" ${shadowNew})
      RETURNING d."deviceId")
    ${MARK_DIRTY}`;
}

/** Removes the model from the devices' desired sets (the agent then stops managing it). */
export async function clearDesired(db: DbOrTx, deviceIds: string[], modelId: string): Promise<void> {
  if (deviceIds.length === 0) return;
  await db.$executeRaw`
    WITH changed AS (
      DELETE FROM "device_desired_models" WHERE "modelId" = ${modelId} AND "deviceId" = ANY(${deviceIds}::text[])
      RETURNING "deviceId")
    ${MARK_DIRTY}`;
}

/**
 * Sets or clears only the shadow candidate of the model on the devices. Devices with no desired
 * row for the model are left alone: there is no serving version to compare the candidate with.
 */
export async function setShadow(
  db: DbOrTx,
  deviceIds: string[],
  modelId: string,
  shadow: DesiredShadow | null,
): Promise<void> {
  if (deviceIds.length === 0) return;
  if (shadow) {
    await checkArtifacts(db, [{ modelId, versionId: shadow.versionId, path: shadow.artifactPath }]);
    if (!Number.isInteger(shadow.samplePercent) || shadow.samplePercent < 1 || shadow.samplePercent > 100) {
      throw new DomainError('INVALID', 'shadow samplePercent must be a whole number from 1 to 100');
    }
  }
  const versionId = shadow?.versionId ?? null;
  const path = shadow?.artifactPath ?? null;
  const percent = shadow?.samplePercent ?? null;
  await db.$executeRaw`
    WITH changed AS (
      UPDATE "device_desired_models" d
      SET "shadowVersionId" = ${versionId}::text, "shadowArtifactPath" = ${path}::text,
        "shadowSamplePercent" = ${percent}::int, "updatedAt" = now()
      WHERE d."modelId" = ${modelId} AND d."deviceId" = ANY(${deviceIds}::text[])
        AND (d."shadowVersionId", d."shadowArtifactPath", d."shadowSamplePercent")
          IS DISTINCT FROM (${versionId}::text, ${path}::text, ${percent}::int)
      RETURNING d."deviceId")
    ${MARK_DIRTY}`;
}
