import { type Db, Prisma } from '@edgefleet/db/client';

/**
 * Folds raw telemetry into the 1-minute rollup tables. Each run takes the samples *received* in
 * (watermark, now − safety] and adds them into their minute's rollup row (the minute of the
 * sample's own time, so a late sample from an agent back from offline lands in its minute).
 *
 * Invariant: a sample is folded exactly once. The writers stamp receivedAt before their
 * transaction commits, so a row can become visible with a receivedAt in the past;
 * stopping `safetySeconds` short of now leaves those rows for the next run instead of skipping
 * them, and the next run starts exactly where this one stopped. The watermark moves in the same
 * transaction as the upserts, under a row lock, so a crash or a second runner cannot add twice.
 */

export const ROLLUPS_JOB = 'rollups';
/**
 * The gateway stamps receivedAt when a message arrives and may hold it in its ingest buffer a while
 * (batching, a slow or briefly unreachable database) before the row commits; two minutes covers
 * that with room to spare. Charts read raw samples past the last rolled-up minute, so nothing shows
 * later for it.
 */
export const DEFAULT_ROLLUP_SAFETY_SECONDS = 120;

export interface RollupOptions {
  db: Db;
  now?: () => Date;
  /** How far behind now the run stops (see the invariant above). */
  safetySeconds?: number;
  /** At most this much receive time per run, so a backlog is worked off in bounded steps. */
  maxSpanSeconds?: number;
}

export interface RollupResult {
  from: Date;
  to: Date;
  telemetryRows: number;
  inferenceRows: number;
}

const TELEMETRY = (from: Date, to: Date) => Prisma.sql`
  INSERT INTO "telemetry_rollups" AS r ("deviceId", "minute", "samples", "cpuSum", "cpuMax", "memoryUsedSum",
    "memoryUsedMax", "memoryTotalBytes", "temperatureSum", "temperatureSamples", "temperatureMax", "requests", "errors")
  SELECT s."deviceId", date_trunc('minute', s."ts"), count(*)::int, sum(s."cpuPercent"), max(s."cpuPercent"),
    sum(s."memoryUsedBytes"), max(s."memoryUsedBytes"), max(s."memoryTotalBytes"), COALESCE(sum(s."temperatureC"), 0),
    count(s."temperatureC")::int, max(s."temperatureC"), sum(s."requests")::int, sum(s."errors")::int
  FROM "telemetry_samples" s
  WHERE s."receivedAt" > ${from}::timestamp(3) AND s."receivedAt" <= ${to}::timestamp(3)
  GROUP BY 1, 2
  ON CONFLICT ("deviceId", "minute") DO UPDATE SET
    "samples" = r."samples" + excluded."samples",
    "cpuSum" = r."cpuSum" + excluded."cpuSum",
    "cpuMax" = GREATEST(r."cpuMax", excluded."cpuMax"),
    "memoryUsedSum" = r."memoryUsedSum" + excluded."memoryUsedSum",
    "memoryUsedMax" = GREATEST(r."memoryUsedMax", excluded."memoryUsedMax"),
    "memoryTotalBytes" = GREATEST(r."memoryTotalBytes", excluded."memoryTotalBytes"),
    "temperatureSum" = r."temperatureSum" + excluded."temperatureSum",
    "temperatureSamples" = r."temperatureSamples" + excluded."temperatureSamples",
    "temperatureMax" = GREATEST(r."temperatureMax", excluded."temperatureMax"),
    "requests" = r."requests" + excluded."requests",
    "errors" = r."errors" + excluded."errors"`;

// Latency histograms are added bucket by bucket (unnest WITH ORDINALITY, sum per position).
const INFERENCE = (from: Date, to: Date) => Prisma.sql`
  WITH s AS MATERIALIZED (
    SELECT "deviceId", date_trunc('minute', "ts") AS "minute", "model", "version", "requests", "errors",
      "latencyCounts", "latencySumMs"
    FROM "inference_samples"
    WHERE "receivedAt" > ${from}::timestamp(3) AND "receivedAt" <= ${to}::timestamp(3)
  ), sums AS (
    SELECT "deviceId", "minute", "model", "version", sum("requests")::int AS "requests",
      sum("errors")::int AS "errors", sum("latencySumMs") AS "latencySumMs"
    FROM s GROUP BY 1, 2, 3, 4
  ), buckets AS (
    SELECT "deviceId", "minute", "model", "version", array_agg(c ORDER BY i) AS "latencyCounts"
    FROM (
      SELECT s."deviceId", s."minute", s."model", s."version", u.i, sum(u.c)::int AS c
      FROM s, unnest(s."latencyCounts") WITH ORDINALITY AS u(c, i)
      GROUP BY 1, 2, 3, 4, 5
    ) per_bucket
    GROUP BY 1, 2, 3, 4
  )
  INSERT INTO "inference_rollups" AS r ("deviceId", "minute", "model", "version", "requests", "errors",
    "latencyCounts", "latencySumMs")
  SELECT m."deviceId", m."minute", m."model", m."version", m."requests", m."errors",
    COALESCE(b."latencyCounts", '{}'::int[]), m."latencySumMs"
  FROM sums m LEFT JOIN buckets b USING ("deviceId", "minute", "model", "version")
  ON CONFLICT ("deviceId", "model", "version", "minute") DO UPDATE SET
    "requests" = r."requests" + excluded."requests",
    "errors" = r."errors" + excluded."errors",
    "latencySumMs" = r."latencySumMs" + excluded."latencySumMs",
    "latencyCounts" = (
      SELECT array_agg(COALESCE(a, 0) + COALESCE(b, 0) ORDER BY i)
      FROM unnest(r."latencyCounts", excluded."latencyCounts") WITH ORDINALITY AS u(a, b, i))`;

export async function runRollups(opts: RollupOptions): Promise<RollupResult> {
  const { db } = opts;
  const now = (opts.now ?? (() => new Date()))();
  const safetyMs = (opts.safetySeconds ?? DEFAULT_ROLLUP_SAFETY_SECONDS) * 1000;
  const maxSpanMs = (opts.maxSpanSeconds ?? 600) * 1000;
  return db.$transaction(
    async (tx) => {
      await tx.$executeRaw`
        INSERT INTO "health_jobs" ("name", "watermark", "lastRunAt") VALUES (${ROLLUPS_JOB}, to_timestamp(0)::timestamp(3), ${now}::timestamp(3))
        ON CONFLICT ("name") DO NOTHING`;
      const [job] = await tx.$queryRaw<{ watermark: Date }[]>`
        SELECT "watermark" FROM "health_jobs" WHERE "name" = ${ROLLUPS_JOB} FOR UPDATE`;
      const watermark = job?.watermark ?? new Date(0);
      const limit = new Date(now.getTime() - safetyMs);
      // Skip stretches with nothing received (first run, a gateway that was off for days) in one step.
      const [next] = await tx.$queryRaw<{ at: Date | null }[]>`
        SELECT min("receivedAt") AS "at" FROM "telemetry_samples"
        WHERE "receivedAt" > ${watermark}::timestamp(3) AND "receivedAt" <= ${limit}::timestamp(3)`;
      const from = next?.at ? new Date(Math.max(watermark.getTime(), next.at.getTime() - 1)) : watermark;
      const to = next?.at ? new Date(Math.min(limit.getTime(), from.getTime() + maxSpanMs)) : limit;
      if (to <= from) return { from, to: from, telemetryRows: 0, inferenceRows: 0 };
      const telemetryRows = await tx.$executeRaw(TELEMETRY(from, to));
      const inferenceRows = await tx.$executeRaw(INFERENCE(from, to));
      await tx.$executeRaw`
        UPDATE "health_jobs" SET "watermark" = ${to}::timestamp(3), "lastRunAt" = ${now}::timestamp(3),
          "detail" = ${JSON.stringify({ telemetryRows, inferenceRows })}::jsonb
        WHERE "name" = ${ROLLUPS_JOB}`;
      return { from, to, telemetryRows, inferenceRows };
    },
    { timeout: 120_000, maxWait: 20_000 },
  );
}
