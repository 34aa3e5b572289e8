import type { Db, Prisma } from '@edgefleet/db/client';
import type {
  TModelReport,
  TRolloutDeviceMetrics,
  TRolloutDeviceState,
  TStateReport,
} from '@edgefleet/protocol/rollout';

/**
 * Agent state reports (ZStateReport, validated by the gateway): what each device runs, and how
 * its installs for rollouts progress. Reports are full snapshots, sent on every change and after
 * each reconnect, so an old one may arrive again: transitions only move forward, and a step
 * from an older attempt than the row's is ignored.
 */

const RETRY_BASE_MS = 30_000;
const RETRY_MAX_MS = 15 * 60_000;
/** Wait before the engine re-notifies a device whose install failed for the `attempts`-th time (0-based). */
export const retryBackoffMs = (attempts: number) => Math.min(RETRY_BASE_MS * 2 ** attempts, RETRY_MAX_MS);
/** Devices that report after their rollout finished still count, this long. */
export const LATE_REPORT_MS = 24 * 3600_000;

type Install = NonNullable<TModelReport['install']>;

// Progress order; terminal outcomes share the top rank. timed_out is the engine's guess that the
// device went quiet, so any report from the device supersedes it.
const RANK: Partial<Record<TRolloutDeviceState, number>> = {
  timed_out: -1,
  queued: 0,
  notified: 1,
  downloading: 2,
  verifying: 3,
  installing: 4,
  health_check: 5,
  succeeded: 6,
  failed: 6,
  rolled_back: 6,
};
const STEP_STATE = {
  queued: 'notified', // the agent holds the instruction and waits (update lock, disk, …)
  downloading: 'downloading',
  verifying: 'verifying',
  installing: 'installing',
  health_check: 'health_check',
  succeeded: 'succeeded',
  failed: 'failed',
  rolled_back: 'rolled_back',
} as const satisfies Record<Install['step'], TRolloutDeviceState>;

interface Row {
  state: TRolloutDeviceState;
  attempts: number;
}
export interface Transition {
  state: TRolloutDeviceState;
  attempts: number;
  reason: string | null;
  nextAttemptAt: Date | null;
}

/** Where an install report moves a device's rollout row, or null when it does not. Pure. */
export function transition(row: Row, install: Install, maxRetries: number, now: Date): Transition | null {
  const current = RANK[row.state];
  // cancelled, skipped: never left; shadowing: the engine moves it on, reports only add metrics.
  if (current === undefined || install.attempt < row.attempts) return null;
  const target = STEP_STATE[install.step];
  const reason = install.reason ?? null;
  if (target === 'rolled_back') {
    return row.state === 'rolled_back' ? null : { state: target, attempts: row.attempts, reason, nextAttemptAt: null };
  }
  if ((RANK[target] ?? 0) <= current) return null;
  if (target !== 'failed') return { state: target, attempts: row.attempts, reason, nextAttemptAt: null };
  if (install.retryable === false || row.attempts >= maxRetries) {
    return { state: 'failed', attempts: row.attempts, reason: reason ?? 'install failed', nextAttemptAt: null };
  }
  return {
    state: 'queued',
    attempts: row.attempts + 1,
    reason: `retry ${row.attempts + 1} of ${maxRetries} after: ${reason ?? 'install failed'}`,
    nextAttemptAt: new Date(now.getTime() + retryBackoffMs(row.attempts)),
  };
}

/** The figures in `m` that concern a rollout of `version` (previous: the version it replaces). */
function metricsFor(m: TModelReport, version: string, previousVersion: string | null): TRolloutDeviceMetrics {
  const previous = previousVersion ?? m.previous?.version;
  const figures: TRolloutDeviceMetrics = {
    candidate: m.stats?.find((s) => s.version === version),
    previous: previous ? m.stats?.find((s) => s.version === previous) : undefined,
    shadow: m.shadow?.version === version ? m.shadow : undefined,
    restarts: m.serving?.version === version ? m.restarts : undefined,
  };
  return Object.fromEntries(Object.entries(figures).filter(([, v]) => v !== undefined));
}

/** What each device runs, one row per model; models missing from the (full) report are gone. */
async function recordInstalled(db: Db, deviceId: string, models: TModelReport[]): Promise<void> {
  await db.$executeRaw`
    WITH gone AS (
      DELETE FROM "device_installed_models"
      WHERE "deviceId" = ${deviceId} AND NOT ("model" = ANY(${models.map((m) => m.model)}::text[])))
    INSERT INTO "device_installed_models" ("deviceId", "model", "servingVersion", "previousVersion", "shadowVersion",
      "installVersion", "installStep", "installReason", "updatedAt")
    SELECT ${deviceId}, w.*, now()
    FROM unnest(
      ${models.map((m) => m.model)}::text[],
      ${models.map((m) => m.serving?.version ?? null)}::text[],
      ${models.map((m) => m.previous?.version ?? null)}::text[],
      ${models.map((m) => m.shadow?.version ?? null)}::text[],
      ${models.map((m) => m.install?.version ?? null)}::text[],
      ${models.map((m) => m.install?.step ?? null)}::text[],
      ${models.map((m) => m.install?.reason ?? null)}::text[]) AS w
    ON CONFLICT ("deviceId", "model") DO UPDATE SET
      "servingVersion" = EXCLUDED."servingVersion", "previousVersion" = EXCLUDED."previousVersion",
      "shadowVersion" = EXCLUDED."shadowVersion", "installVersion" = EXCLUDED."installVersion",
      "installStep" = EXCLUDED."installStep", "installReason" = EXCLUDED."installReason", "updatedAt" = now()`;
}

interface Candidate {
  rolloutId: string;
  state: TRolloutDeviceState;
  attempts: number;
  metrics: Prisma.JsonValue;
  maxRetries: number;
  model: string;
  version: string;
  previousVersion: string | null;
}

/**
 * Applies one device's report: records what it runs, then, for each of its rows in active
 * rollouts (or ones finished in the last 24 h) of a reported model, moves the state on for an
 * install of that rollout's version and stores the figures the gates read.
 */
export async function applyStateReport(
  db: Db,
  deviceId: string,
  report: TStateReport,
  now = new Date(),
): Promise<void> {
  // A model listed twice would make one statement touch a row twice: the last entry wins.
  const models = [...new Map(report.models.map((m) => [m.model, m])).values()];
  await recordInstalled(db, deviceId, models);
  if (models.length === 0) return;
  const byModel = new Map(models.map((m) => [m.model, m]));
  await db.$transaction(async (tx) => {
    // Locked, so two gateway replicas applying reports of one device never interleave.
    const rows = await tx.$queryRaw<Candidate[]>`
      SELECT rd."rolloutId", rd."state"::text AS "state", rd."attempts", rd."metrics", r."maxRetries",
        m."name" AS "model", v."version", pv."version" AS "previousVersion"
      FROM "rollout_devices" rd
      JOIN "rollouts" r ON r."id" = rd."rolloutId"
      JOIN "models" m ON m."id" = r."modelId"
      JOIN "model_versions" v ON v."id" = r."versionId"
      LEFT JOIN "model_versions" pv ON pv."id" = rd."previousVersionId"
      WHERE rd."deviceId" = ${deviceId} AND m."name" = ANY(${[...byModel.keys()]}::text[])
        AND rd."state" NOT IN ('cancelled', 'skipped')
        AND (r."status" IN ('running', 'paused') OR r."finishedAt" > ${new Date(now.getTime() - LATE_REPORT_MS)})
      ORDER BY rd."rolloutId"
      FOR UPDATE OF rd`;
    for (const row of rows) {
      const m = byModel.get(row.model);
      if (!m) continue;
      const moved = m.install?.version === row.version ? transition(row, m.install, row.maxRetries, now) : null;
      const figures = metricsFor(m, row.version, row.previousVersion);
      const hasFigures = Object.keys(figures).length > 0;
      if (!moved && !hasFigures) continue;
      const old = row.metrics && typeof row.metrics === 'object' && !Array.isArray(row.metrics) ? row.metrics : {};
      await tx.rolloutDevice.update({
        where: { rolloutId_deviceId: { rolloutId: row.rolloutId, deviceId } },
        data: {
          ...(moved ? { ...moved, stateChangedAt: now } : {}),
          ...(hasFigures ? { metrics: { ...old, ...figures } as Prisma.InputJsonObject } : {}),
        },
      });
    }
  });
}
