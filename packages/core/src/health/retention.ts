import { type Db, Prisma } from '@edgefleet/db/client';

/**
 * Deletes health data past its retention: raw samples after `rawDays`, rollups and device events
 * after `rollupDays`, finished webhook deliveries after 30 days. Deletes go in chunks of `chunk`
 * rows (each its own short statement), so a large backlog never holds one huge transaction or
 * locks the tables the ingest writes into; a run stops after `budgetMs` and the next carries on.
 */

export const RETENTION_JOB = 'retention';
export const DELIVERY_RETENTION_DAYS = 30;

export interface RetentionOptions {
  db: Db;
  now?: () => Date;
  rawDays: number;
  rollupDays: number;
  chunk?: number;
  budgetMs?: number;
}

export type RetentionResult = Record<
  'telemetrySamples' | 'inferenceSamples' | 'telemetryRollups' | 'inferenceRollups' | 'deviceEvents' | 'deliveries',
  number
> & { complete: boolean };

const DAY_MS = 86_400_000;

/** One chunk: `DELETE … WHERE ctid IN (SELECT ctid … LIMIT n)`, the usual bounded delete in PostgreSQL. */
const chunkSql = (table: string, where: Prisma.Sql, n: number) => Prisma.sql`
  DELETE FROM ${Prisma.raw(`"${table}"`)} WHERE ctid IN (
    SELECT ctid FROM ${Prisma.raw(`"${table}"`)} WHERE ${where} LIMIT ${n})`;

export async function runRetention(opts: RetentionOptions): Promise<RetentionResult> {
  const { db } = opts;
  const now = (opts.now ?? (() => new Date()))();
  const chunk = opts.chunk ?? 10_000;
  const deadline = performance.now() + (opts.budgetMs ?? 5 * 60_000);
  const raw = new Date(now.getTime() - opts.rawDays * DAY_MS);
  const rollup = new Date(now.getTime() - opts.rollupDays * DAY_MS);
  const deliveries = new Date(now.getTime() - DELIVERY_RETENTION_DAYS * DAY_MS);
  const plan: Array<[keyof Omit<RetentionResult, 'complete'>, string, Prisma.Sql]> = [
    ['telemetrySamples', 'telemetry_samples', Prisma.sql`"receivedAt" < ${raw}::timestamp(3)`],
    ['inferenceSamples', 'inference_samples', Prisma.sql`"receivedAt" < ${raw}::timestamp(3)`],
    ['telemetryRollups', 'telemetry_rollups', Prisma.sql`"minute" < ${rollup}::timestamp(3)`],
    ['inferenceRollups', 'inference_rollups', Prisma.sql`"minute" < ${rollup}::timestamp(3)`],
    ['deviceEvents', 'device_events', Prisma.sql`"receivedAt" < ${rollup}::timestamp(3)`],
    [
      'deliveries',
      'webhook_deliveries',
      Prisma.sql`"status" IN ('delivered', 'failed') AND "createdAt" < ${deliveries}::timestamp(3)`,
    ],
  ];
  const result: RetentionResult = {
    telemetrySamples: 0,
    inferenceSamples: 0,
    telemetryRollups: 0,
    inferenceRollups: 0,
    deviceEvents: 0,
    deliveries: 0,
    complete: true,
  };
  for (const [key, table, where] of plan) {
    for (;;) {
      if (performance.now() > deadline) {
        result.complete = false;
        break;
      }
      const deleted = await db.$executeRaw(chunkSql(table, where, chunk));
      result[key] += deleted;
      if (deleted < chunk) break;
    }
  }
  await db.$executeRaw`
    INSERT INTO "health_jobs" ("name", "watermark", "lastRunAt", "detail")
    VALUES (${RETENTION_JOB}, ${raw}::timestamp(3), ${now}::timestamp(3), ${JSON.stringify(result)}::jsonb)
    ON CONFLICT ("name") DO UPDATE SET "watermark" = excluded."watermark", "lastRunAt" = excluded."lastRunAt",
      "detail" = excluded."detail"`;
  return result;
}
