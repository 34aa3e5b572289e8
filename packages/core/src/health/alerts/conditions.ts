import { Prisma } from '@edgefleet/db/client';
import { ALERT_METRIC_LABELS, type TAlertMetric } from '@edgefleet/protocol/health';
import { LATENCY_BUCKETS_MS } from '@edgefleet/protocol/telemetry';
import type { AlertRule } from './rules.ts';

/**
 * For each rule kind, one query that returns every subject the condition holds for right now,
 * with columns "subjectType", "subjectId", "deviceId", "value", "summary". Each is a single
 * aggregate over all matching devices (no per-device round trip), so a rule over 100k devices
 * costs one statement per evaluation.
 */

/** Samples are stamped with the device's clock, which may run up to 5 min ahead (ZDeviceTime). */
const SKEW = "interval '5 minutes'";

export const NO_MATCH = Prisma.sql`
  SELECT NULL::text AS "subjectType", NULL::text AS "subjectId", NULL::text AS "deviceId",
    NULL::float8 AS "value", NULL::text AS "summary" WHERE FALSE`;

const GAUGES: Partial<Record<TAlertMetric, Prisma.Sql>> = {
  cpu_percent: Prisma.sql`s."cpuPercent"`,
  memory_percent: Prisma.sql`100.0 * s."memoryUsedBytes" / NULLIF(s."memoryTotalBytes", 0)`,
  disk_percent: Prisma.sql`100.0 * s."diskUsedBytes" / NULLIF(s."diskTotalBytes", 0)`,
  temperature_c: Prisma.sql`s."temperatureC"`,
};

export function formatDuration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** "CPU > 90 % for 5 min", the rule's condition in words (summaries, notifications, the dashboard). */
export function describeRule(rule: AlertRule): string {
  switch (rule.kind) {
    case 'metric': {
      const m = ALERT_METRIC_LABELS[rule.metric as TAlertMetric] ?? { label: rule.metric ?? '?', unit: '' };
      const op = rule.operator === 'lt' ? '<' : '>';
      const over = GAUGES[rule.metric as TAlertMetric] ? 'for' : 'over';
      return `${m.label} ${op} ${rule.threshold}${m.unit === '%' ? ' %' : ` ${m.unit}`} ${over} ${formatDuration(rule.windowSeconds)}`;
    }
    case 'device_offline':
      return `offline for more than ${formatDuration(rule.windowSeconds)}`;
    case 'certificate_expiry':
      return `certificate expires within ${formatDuration(rule.windowSeconds)}`;
    default:
      return 'rollout gate tripped';
  }
}

/** `summary` for a device subject: "<device name>: <rule in words> (now <value><unit>)". */
const deviceSummary = (rule: AlertRule, value: Prisma.Sql, unit: string) => Prisma.sql`
  d."name" || ${`: ${describeRule(rule)} (now `} || round((${value})::numeric, 1)::text || ${`${unit})`}`;

export function matchQuery(rule: AlertRule, devices: Prisma.Sql, now: Date): Prisma.Sql {
  const since = new Date(now.getTime() - rule.windowSeconds * 1000);
  switch (rule.kind) {
    case 'metric':
      return metricQuery(rule, devices, since, now);
    case 'device_offline':
      return Prisma.sql`
        SELECT 'device' AS "subjectType", d."id" AS "subjectId", d."id" AS "deviceId",
          EXTRACT(EPOCH FROM (${now}::timestamp(3) - d."lastSeenAt"))::float8 AS "value",
          d."name" || ${': offline since '} || to_char(d."lastSeenAt", 'YYYY-MM-DD HH24:MI') || ${' UTC'} AS "summary"
        FROM "devices" d
        WHERE d."status" = 'accepted' AND NOT d."online" AND d."lastSeenAt" < ${since}::timestamp(3) AND ${devices}`;
    case 'certificate_expiry': {
      const horizon = new Date(now.getTime() + rule.windowSeconds * 1000);
      // The current certificate: the latest-expiring one neither revoked nor retired (a renewed
      // certificate the device has not used yet counts: the device already holds it).
      return Prisma.sql`
        SELECT 'device' AS "subjectType", d."id" AS "subjectId", d."id" AS "deviceId",
          (EXTRACT(EPOCH FROM (c."notAfter" - ${now}::timestamp(3))) / 86400.0)::float8 AS "value",
          d."name" || ${': certificate expires '} || to_char(c."notAfter", 'YYYY-MM-DD HH24:MI') || ${' UTC'} AS "summary"
        FROM (
          SELECT "deviceId", max("notAfter") AS "notAfter" FROM "device_certificates"
          WHERE "revokedAt" IS NULL AND "retiredAt" IS NULL GROUP BY "deviceId"
        ) c JOIN "devices" d ON d."id" = c."deviceId"
        WHERE d."status" = 'accepted' AND c."notAfter" < ${horizon}::timestamp(3) AND ${devices}`;
    }
    case 'rollout_gate':
      // Paused by a gate (the rollout's last gate trip or resume was a trip, so an operator's own
      // pause does not count) until resumed, aborted or completed; rolled back by a gate: for a
      // day, since a rollback is final and "until the condition is gone" would be forever.
      return Prisma.sql`
        SELECT 'rollout' AS "subjectType", r."id" AS "subjectId", NULL::text AS "deviceId", NULL::float8 AS "value",
          ${'Rollout '} || m."name" || '@' || v."version" || ' ' || r."status"::text || ': ' || e."message" AS "summary"
        FROM "rollouts" r
        JOIN "models" m ON m."id" = r."modelId" JOIN "model_versions" v ON v."id" = r."versionId"
        JOIN LATERAL (
          SELECT ev."kind", ev."message" FROM "rollout_events" ev
          WHERE ev."rolloutId" = r."id" AND ev."kind" IN ('gate_tripped', 'resumed')
          ORDER BY ev."id" DESC LIMIT 1
        ) e ON e."kind" = 'gate_tripped'
        WHERE r."status" = 'paused'
          OR (r."status" = 'rolled_back' AND r."finishedAt" > ${new Date(now.getTime() - 86_400_000)}::timestamp(3))`;
    default:
      return NO_MATCH;
  }
}

function metricQuery(rule: AlertRule, devices: Prisma.Sql, since: Date, now: Date): Prisma.Sql {
  const metric = rule.metric as TAlertMetric;
  const threshold = rule.threshold ?? 0;
  const gt = rule.operator !== 'lt';
  const crosses = (v: Prisma.Sql) => (gt ? Prisma.sql`${v} > ${threshold}` : Prisma.sql`${v} < ${threshold}`);
  const recent = Prisma.sql`s."receivedAt" > ${since}::timestamp(3) - ${Prisma.raw(SKEW)}
    AND s."ts" > ${since}::timestamp(3) AND s."ts" <= ${now}::timestamp(3) + ${Prisma.raw(SKEW)}`;
  const unit = ALERT_METRIC_LABELS[metric]?.unit === '%' ? ' %' : ` ${ALERT_METRIC_LABELS[metric]?.unit ?? ''}`;
  const gauge = GAUGES[metric];
  if (gauge) {
    // Every sample in the window crosses, and the samples reach back to the window's start (the
    // first one within 1.5 reporting intervals of it): "for 5 min" means the whole 5 min.
    const value = Prisma.raw(gt ? 'a."lo"' : 'a."hi"');
    return Prisma.sql`
      SELECT 'device' AS "subjectType", d."id" AS "subjectId", d."id" AS "deviceId", ${value}::float8 AS "value",
        ${deviceSummary(rule, value, unit)} AS "summary"
      FROM (
        SELECT s."deviceId", min(${gauge}) AS "lo", max(${gauge}) AS "hi", count(${gauge}) AS "n",
          min(s."ts") AS "first", max(s."intervalSeconds") AS "interval"
        FROM "telemetry_samples" s WHERE ${recent} GROUP BY s."deviceId"
      ) a JOIN "devices" d ON d."id" = a."deviceId"
      WHERE d."status" = 'accepted' AND ${devices} AND a."n" > 0 AND ${crosses(value)}
        AND a."first" <= ${since}::timestamp(3) + make_interval(secs => a."interval" * 1.5)`;
  }
  if (metric === 'error_rate') {
    const value = Prisma.sql`(100.0 * a."errors" / a."requests")`;
    return Prisma.sql`
      SELECT 'device' AS "subjectType", d."id" AS "subjectId", d."id" AS "deviceId", ${value}::float8 AS "value",
        ${deviceSummary(rule, value, unit)} AS "summary"
      FROM (
        SELECT s."deviceId", sum(s."requests") AS "requests", sum(s."errors") AS "errors"
        FROM "inference_samples" s WHERE ${recent} GROUP BY s."deviceId" HAVING sum(s."requests") > 0
      ) a JOIN "devices" d ON d."id" = a."deviceId"
      WHERE d."status" = 'accepted' AND ${devices} AND ${crosses(value)}`;
  }
  // Latency percentiles: merge the window's histograms per device, then the bucket where the
  // running count reaches the rank (as percentileMs in ../histogram.ts; overflow → last bound).
  const p = metric === 'latency_p50_ms' ? 50 : 95;
  const bounds = Prisma.raw(`ARRAY[${LATENCY_BUCKETS_MS.join(',')}]::float8[]`);
  const value = Prisma.sql`(${bounds})[LEAST(a."i", ${LATENCY_BUCKETS_MS.length})]`;
  return Prisma.sql`
    SELECT 'device' AS "subjectType", d."id" AS "subjectId", d."id" AS "deviceId", ${value}::float8 AS "value",
      ${deviceSummary(rule, value, unit)} AS "summary"
    FROM (
      SELECT DISTINCT ON (c."deviceId") c."deviceId", c."i"
      FROM (
        SELECT h."deviceId", h."i",
          sum(h."c") OVER (PARTITION BY h."deviceId" ORDER BY h."i") AS "running",
          sum(h."c") OVER (PARTITION BY h."deviceId") AS "total"
        FROM (
          SELECT s."deviceId", u."i"::int AS "i", sum(u."c") AS "c"
          FROM "inference_samples" s, unnest(s."latencyCounts") WITH ORDINALITY AS u("c", "i")
          WHERE ${recent} GROUP BY 1, 2
        ) h
      ) c
      WHERE c."total" > 0 AND c."running" >= GREATEST(1, ceil(${p}::float8 / 100.0 * c."total"))
      ORDER BY c."deviceId", c."i"
    ) a JOIN "devices" d ON d."id" = a."deviceId"
    WHERE d."status" = 'accepted' AND ${devices} AND ${crosses(value)}`;
}
