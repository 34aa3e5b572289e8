import type { Db, Prisma } from '@edgefleet/db/client';
import {
  ROLLOUT_DEVICE_STATES,
  type TMaintenanceWindow,
  type TRolloutDeviceMetrics,
  type TRolloutDeviceState,
  type TRolloutStrategy,
  type TShadowPlan,
  ZMaintenanceWindow,
  ZRolloutStrategy,
  ZShadowPlan,
} from '@edgefleet/protocol/rollout';
import type { DbOrTx } from './events.ts';
import { type PlannedPhase, phasePlan, readGates, type StateCounts, type StoredGates } from './gates.ts';

/** What one engine tick reads about a rollout: its plan, parsed, and a tally of its devices. */

export const IN_FLIGHT_STATES = ['notified', 'downloading', 'verifying', 'installing', 'health_check'] as const;
export const OFFLINE_REASON = 'offline: the instruction waits for it';

export const rolloutSelect = {
  id: true,
  modelId: true,
  versionId: true,
  version: { select: { version: true, publisherKey: { select: { name: true, revokedAt: true } } } },
  strategy: true,
  gates: true,
  onFailure: true,
  maxConcurrent: true,
  window: true,
  shadow: true,
  stepTimeoutSeconds: true,
  maxRetries: true,
  force: true,
  status: true,
  statusReason: true,
  currentPhase: true,
  phaseStartedAt: true,
  phaseDoneAt: true,
  deviceCount: true,
} as const satisfies Prisma.RolloutSelect;

type RolloutRow = Prisma.RolloutGetPayload<{ select: typeof rolloutSelect }>;

export interface RunningRollout {
  id: string;
  modelId: string;
  versionId: string;
  version: string;
  /** Name of the version's publisher key when it has been revoked since the rollout started. */
  revokedKey: string | null;
  strategy: TRolloutStrategy;
  gates: StoredGates;
  onFailure: 'pause' | 'rollback';
  maxConcurrent: number | null;
  window: TMaintenanceWindow | null;
  shadow: TShadowPlan | null;
  stepTimeoutSeconds: number;
  force: boolean;
  /** While running: why it is waiting, if it is (shown to operators). */
  statusReason: string | null;
  currentPhase: number;
  phaseStartedAt: Date;
  phaseDoneAt: Date | null;
  phases: PlannedPhase[];
}

export const readStrategy = (json: unknown): TRolloutStrategy => ZRolloutStrategy.parse(json);
export const readWindow = (json: unknown): TMaintenanceWindow | null =>
  json === null || json === undefined ? null : ZMaintenanceWindow.parse(json);
export const readShadowPlan = (json: unknown): TShadowPlan | null =>
  json === null || json === undefined ? null : ZShadowPlan.parse(json);

export function readRollout(row: RolloutRow): RunningRollout {
  const strategy = readStrategy(row.strategy);
  return {
    id: row.id,
    modelId: row.modelId,
    versionId: row.versionId,
    version: row.version.version,
    revokedKey: row.version.publisherKey.revokedAt ? row.version.publisherKey.name : null,
    strategy,
    gates: readGates(row.gates),
    onFailure: row.onFailure === 'rollback' ? 'rollback' : 'pause',
    maxConcurrent: row.maxConcurrent,
    window: readWindow(row.window),
    shadow: readShadowPlan(row.shadow),
    stepTimeoutSeconds: row.stepTimeoutSeconds,
    force: row.force,
    statusReason: row.statusReason,
    currentPhase: row.currentPhase,
    phaseStartedAt: row.phaseStartedAt,
    phaseDoneAt: row.phaseDoneAt,
    phases: phasePlan(strategy, row.deviceCount),
  };
}

export const emptyCounts = (): StateCounts =>
  Object.fromEntries(ROLLOUT_DEVICE_STATES.map((s) => [s, 0])) as StateCounts;

export interface PhaseTally {
  counts: StateCounts;
  /** In-flight devices (notified…health_check) that are offline: they do not hold the phase up. */
  offlineInFlight: number;
  /** Queued devices whose (re)try is due now. */
  due: number;
}

export interface Tally {
  totals: StateCounts;
  phases: Map<number, PhaseTally>;
  onlineInFlight: number;
  /** Devices ever notified (for the exponential pace). */
  admitted: number;
  cohort: StateCounts;
}

/**
 * One grouped scan of the rollout's rows (the (rolloutId, phase, state) index); device liveness is
 * looked up only for rows in flight, so a quiet 100k-device rollout costs one cheap query.
 */
export async function loadTally(db: DbOrTx, rolloutId: string, now: Date): Promise<Tally> {
  const rows = await db.$queryRaw<
    Array<{
      phase: number;
      state: TRolloutDeviceState;
      shadow: boolean;
      offline: boolean;
      n: number;
      admitted: number;
      due: number;
    }>
  >`
    SELECT rd."phase", rd."state"::text AS "state", rd."shadow",
      CASE WHEN rd."state" IN ('notified', 'downloading', 'verifying', 'installing', 'health_check')
        THEN NOT COALESCE((SELECT d."online" FROM "devices" d WHERE d."id" = rd."deviceId"), false)
        ELSE false END AS "offline",
      count(*)::int AS "n",
      count(*) FILTER (WHERE rd."notifiedAt" IS NOT NULL)::int AS "admitted",
      count(*) FILTER (WHERE rd."state" = 'queued'
        AND (rd."nextAttemptAt" IS NULL OR rd."nextAttemptAt" <= ${now}::timestamp(3)))::int AS "due"
    FROM "rollout_devices" rd
    WHERE rd."rolloutId" = ${rolloutId}
    GROUP BY 1, 2, 3, 4`;
  const tally: Tally = {
    totals: emptyCounts(),
    phases: new Map(),
    onlineInFlight: 0,
    admitted: 0,
    cohort: emptyCounts(),
  };
  for (const r of rows) {
    let phase = tally.phases.get(r.phase);
    if (!phase) {
      phase = { counts: emptyCounts(), offlineInFlight: 0, due: 0 };
      tally.phases.set(r.phase, phase);
    }
    phase.counts[r.state] += r.n;
    phase.due += r.due;
    tally.totals[r.state] += r.n;
    tally.admitted += r.admitted;
    if (r.shadow) tally.cohort[r.state] += r.n;
    if ((IN_FLIGHT_STATES as readonly string[]).includes(r.state)) {
      if (r.offline) phase.offlineInFlight += r.n;
      else tally.onlineInFlight += r.n;
    }
  }
  return tally;
}

/** Reported figures of the rollout's devices (only rows that have any); `shadowOnly` for the cohort. */
export async function loadMetrics(db: DbOrTx, rolloutId: string, shadowOnly = false): Promise<TRolloutDeviceMetrics[]> {
  const rows = await db.$queryRaw<Array<{ metrics: TRolloutDeviceMetrics }>>`
    SELECT "metrics" FROM "rollout_devices"
    WHERE "rolloutId" = ${rolloutId} AND "metrics" IS NOT NULL AND (${!shadowOnly}::boolean OR "shadow")`;
  return rows.map((r) => r.metrics);
}

/**
 * Step timeouts, in one statement. Only online devices time out: an offline one is marked as
 * waiting instead, and when it is seen back its step clock restarts (offline time does not count
 * against the step, or a device returning after a day would time out before it could report).
 */
export async function sweepInFlight(db: Db, r: RunningRollout, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - r.stepTimeoutSeconds * 1000);
  return db.$executeRaw`
    WITH s AS (
      SELECT rd."deviceId", d."online",
        (d."online" AND rd."reason" IS DISTINCT FROM ${OFFLINE_REASON} AND rd."stateChangedAt" < ${cutoff}::timestamp(3)) AS "late"
      FROM "rollout_devices" rd JOIN "devices" d ON d."id" = rd."deviceId"
      WHERE rd."rolloutId" = ${r.id}
        AND rd."state" IN ('notified', 'downloading', 'verifying', 'installing', 'health_check'))
    UPDATE "rollout_devices" rd SET
      "state" = CASE WHEN s."late" THEN 'timed_out'::"RolloutDeviceState" ELSE rd."state" END,
      "reason" = CASE
        WHEN s."late" THEN 'no progress in ' || rd."state"::text || ' for ' || ${r.stepTimeoutSeconds}::int || ' s'
        WHEN NOT s."online" THEN ${OFFLINE_REASON}
        ELSE NULL END,
      "stateChangedAt" = CASE WHEN s."late" OR s."online" THEN ${now}::timestamp(3) ELSE rd."stateChangedAt" END,
      "updatedAt" = ${now}::timestamp(3)
    FROM s
    WHERE rd."rolloutId" = ${r.id} AND rd."deviceId" = s."deviceId"
      AND (s."late" OR (NOT s."online" AND rd."reason" IS DISTINCT FROM ${OFFLINE_REASON})
        OR (s."online" AND rd."reason" = ${OFFLINE_REASON}))`;
}
