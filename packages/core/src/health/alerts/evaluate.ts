import { type Db, Prisma } from '@edgefleet/db/client';
import type { TAlertState } from '@edgefleet/protocol/health';
import type { DeviceEventInput } from '../events.ts';
import { writeDeviceEvents } from '../ingest.ts';
import { type AlertForPayload, enqueueDeliveries, type Transition } from '../webhooks/payload.ts';
import { matchQuery, NO_MATCH } from './conditions.ts';
import { type AlertRule, ensureDefaultRules } from './rules.ts';
import { ruleDeviceCondition } from './selector.ts';

/**
 * One evaluation pass over every rule. Per rule, ONE statement computes the subjects the
 * condition holds for (conditions.ts) and, in data-modifying CTEs over that one result, opens
 * alerts for new subjects, refreshes open ones and resolves those whose condition is gone.
 *
 * De-duplication is the database's: an open alert (firing or acknowledged) holds
 * openKey = "<ruleId>:<subjectType>:<subjectId>", unique, so evaluating twice (or on two
 * gateways during a leader hand-over) cannot open a second alert for the same rule and subject;
 * resolving sets openKey to null, so the next time the condition holds opens a new alert.
 *
 * (`kept` is not read: PostgreSQL runs every data-modifying CTE to completion regardless.)
 *
 * Each transition adds a device event (device subjects) and queues webhook deliveries, in the
 * same transaction as the alert change, so a crash never leaves a transition unannounced.
 */

export interface EvaluateOptions {
  db: Db;
  now?: () => Date;
  /** The dashboard's URL, for links in notifications. */
  publicUrl?: string;
  log?: (message: string) => void;
}

export interface EvaluateResult {
  rules: number;
  fired: number;
  resolved: number;
  deliveries: number;
}

interface ChangedRow {
  change: 'fired' | 'resolved';
  id: string;
  subjectType: string;
  subjectId: string;
  deviceId: string | null;
  state: TAlertState;
  severity: string;
  summary: string;
  value: number | null;
  firedAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  resolvedAt: Date | null;
}

export const LAST_TRUE_REFRESH_MS = 60_000;

export const openKeyOf = (ruleId: string, subjectType: string, subjectId: string) =>
  `${ruleId}:${subjectType}:${subjectId}`;

const RETURNED = Prisma.sql`"id", "subjectType", "subjectId", "deviceId", "state"::text AS "state", "severity",
  "summary", "value", "firedAt", "acknowledgedAt", "acknowledgedBy", "resolvedAt"`;

export async function evaluateAlerts(opts: EvaluateOptions): Promise<EvaluateResult> {
  const { db } = opts;
  const now = (opts.now ?? (() => new Date()))();
  await ensureDefaultRules(db);
  const rules = await db.alertRule.findMany();
  const result: EvaluateResult = { rules: rules.length, fired: 0, resolved: 0, deliveries: 0 };
  for (const rule of rules) {
    try {
      const r = await evaluateRule(db, rule, now, opts.publicUrl ?? '');
      result.fired += r.fired;
      result.resolved += r.resolved;
      result.deliveries += r.deliveries;
    } catch (e) {
      // One broken rule must not stop the others.
      opts.log?.(`alert rule ${rule.id} (${rule.name}) not evaluated: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return result;
}

async function evaluateRule(db: Db, rule: AlertRule, now: Date, publicUrl: string) {
  const devices = await ruleDeviceCondition(db, rule.selector);
  // A disabled rule matches nothing, so its open alerts resolve.
  const matches = rule.enabled ? matchQuery(rule, devices, now) : NO_MATCH;
  const key = Prisma.sql`(${rule.id} || ':' || m."subjectType" || ':' || m."subjectId")`;
  // An open alert's lastTrueAt and value are refreshed at most once a minute: rewriting 100k open
  // alerts every 15 s would cost far more than the evaluation itself.
  const refreshBefore = new Date(now.getTime() - LAST_TRUE_REFRESH_MS);
  return db.$transaction(
    async (tx) => {
      const rows = await tx.$queryRaw<ChangedRow[]>`
        WITH m AS MATERIALIZED (${matches}),
        fired AS (
          INSERT INTO "alerts" ("id", "ruleId", "subjectType", "subjectId", "deviceId", "state", "severity", "summary",
            "value", "openKey", "firedAt", "lastTrueAt")
          SELECT 'alt_' || replace(gen_random_uuid()::text, '-', ''), ${rule.id}, m."subjectType", m."subjectId",
            m."deviceId", 'firing'::"AlertState", ${rule.severity}, m."summary", m."value", ${key},
            ${now}::timestamp(3), ${now}::timestamp(3)
          FROM m
          ON CONFLICT ("openKey") DO NOTHING
          RETURNING ${RETURNED}
        ),
        kept AS (
          UPDATE "alerts" a SET "lastTrueAt" = ${now}::timestamp(3), "value" = m."value"
          FROM m WHERE a."openKey" = ${key} AND a."lastTrueAt" <= ${refreshBefore}::timestamp(3)
        ),
        resolved AS (
          UPDATE "alerts" a SET "state" = 'resolved'::"AlertState", "openKey" = NULL, "resolvedAt" = ${now}::timestamp(3)
          WHERE a."ruleId" = ${rule.id} AND a."openKey" IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM m WHERE a."openKey" = ${key})
          RETURNING ${RETURNED}
        )
        SELECT 'fired' AS "change", * FROM fired
        UNION ALL SELECT 'resolved' AS "change", * FROM resolved`;
      if (rows.length === 0) return { fired: 0, resolved: 0, deliveries: 0 };
      await writeDeviceEvents(
        tx,
        rows.filter((r) => r.deviceId).map((r) => deviceEvent(rule, r, now)),
      );
      const names = await subjectNames(tx, rows);
      const transitions: Transition[] = rows.map((r) => ({
        event: r.change === 'fired' ? 'alert.firing' : 'alert.resolved',
        alert: toPayloadAlert(rule, r, names.get(r.subjectId)),
      }));
      const deliveries = await enqueueDeliveries(tx, transitions, { now, publicUrl });
      const fired = rows.filter((r) => r.change === 'fired').length;
      return { fired, resolved: rows.length - fired, deliveries };
    },
    { timeout: 120_000, maxWait: 20_000 },
  );
}

const EVENT_SEVERITY = { critical: 'error', warning: 'warning', info: 'info' } as const;

function deviceEvent(rule: AlertRule, r: ChangedRow, now: Date): DeviceEventInput {
  const fired = r.change === 'fired';
  return {
    deviceId: r.deviceId as string,
    seq: null,
    ts: now,
    source: 'alert',
    kind: fired ? 'alert_firing' : 'alert_resolved',
    severity: fired ? (EVENT_SEVERITY[rule.severity as keyof typeof EVENT_SEVERITY] ?? 'warning') : 'info',
    message: `${fired ? 'Alert' : 'Resolved'}: ${rule.name} — ${r.summary}`.slice(0, 2000),
  };
}

export function toPayloadAlert(
  rule: Pick<AlertRule, 'id' | 'name' | 'kind'>,
  r: Omit<ChangedRow, 'change' | 'deviceId'>,
  subjectName?: string,
): AlertForPayload {
  return {
    id: r.id,
    state: r.state,
    severity: r.severity,
    summary: r.summary,
    value: r.value,
    subjectType: r.subjectType,
    subjectId: r.subjectId,
    firedAt: r.firedAt,
    acknowledgedAt: r.acknowledgedAt,
    acknowledgedBy: r.acknowledgedBy,
    resolvedAt: r.resolvedAt,
    rule: { id: rule.id, name: rule.name, kind: rule.kind },
    ...(subjectName ? { subjectName } : {}),
  };
}

/** Device names and rollouts' model@version, for notifications. */
export async function subjectNames(
  db: Db | Prisma.TransactionClient,
  rows: ReadonlyArray<{ subjectType: string; subjectId: string }>,
): Promise<Map<string, string>> {
  const ids = (type: string) => [...new Set(rows.filter((r) => r.subjectType === type).map((r) => r.subjectId))];
  const deviceIds = ids('device');
  const rolloutIds = ids('rollout');
  const [devices, rollouts] = await Promise.all([
    deviceIds.length ? db.device.findMany({ where: { id: { in: deviceIds } }, select: { id: true, name: true } }) : [],
    rolloutIds.length
      ? db.rollout.findMany({
          where: { id: { in: rolloutIds } },
          select: { id: true, model: { select: { name: true } }, version: { select: { version: true } } },
        })
      : [],
  ]);
  return new Map([
    ...devices.map((d) => [d.id, d.name] as const),
    ...rollouts.map((r) => [r.id, `${r.model.name}@${r.version.version}`] as const),
  ]);
}
