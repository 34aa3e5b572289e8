import type { Db, Prisma } from '@edgefleet/db/client';
import type { TAlertSeverity, TAlertState } from '@edgefleet/protocol/health';
import type { Principal } from '../../access.ts';
import { DomainError } from '../../errors.ts';
import { auditRefusal, auditSuccess } from '../../rollouts/events.ts';
import { recordDeviceEvent } from '../events.ts';
import { enqueueDeliveries } from '../webhooks/payload.ts';
import { subjectNames, toPayloadAlert } from './evaluate.ts';

/**
 * Reading alerts, and the operator's one transition: firing → acknowledged. (Firing and
 * resolving are the evaluator's; an acknowledged alert still resolves when its condition goes.)
 */

const alertSelect = {
  id: true,
  ruleId: true,
  rule: { select: { name: true, kind: true } },
  subjectType: true,
  subjectId: true,
  deviceId: true,
  state: true,
  severity: true,
  summary: true,
  value: true,
  firedAt: true,
  lastTrueAt: true,
  acknowledgedAt: true,
  acknowledgedBy: true,
  resolvedAt: true,
} as const satisfies Prisma.AlertSelect;

export type AlertView = Prisma.AlertGetPayload<{ select: typeof alertSelect }> & { subjectName: string | null };

export interface AlertQuery {
  /** `open` = firing or acknowledged. */
  state?: TAlertState | 'open';
  severity?: TAlertSeverity;
  deviceId?: string;
  ruleId?: string;
  limit?: number;
  /** Keyset pagination: alerts fired before the alert with this id (newest first). */
  cursor?: string | null;
}

export interface AlertPage {
  items: AlertView[];
  nextCursor: string | null;
}

export async function listAlerts(db: Db, q: AlertQuery = {}): Promise<AlertPage> {
  const limit = Math.min(Math.max(q.limit ?? 50, 1), 200);
  const where: Prisma.AlertWhereInput = {
    ...(q.state === 'open' ? { state: { in: ['firing', 'acknowledged'] } } : q.state ? { state: q.state } : {}),
    ...(q.severity ? { severity: q.severity } : {}),
    ...(q.deviceId ? { deviceId: q.deviceId } : {}),
    ...(q.ruleId ? { ruleId: q.ruleId } : {}),
  };
  const rows = await db.alert.findMany({
    where,
    select: alertSelect,
    orderBy: [{ firedAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    ...(q.cursor ? { cursor: { id: q.cursor }, skip: 1 } : {}),
  });
  const page = rows.slice(0, limit);
  const names = await subjectNames(db, page);
  return {
    items: page.map((a) => ({ ...a, subjectName: names.get(a.subjectId) ?? null })),
    nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

export async function countOpenAlerts(db: Db): Promise<Record<TAlertSeverity, number>> {
  const rows = await db.alert.groupBy({
    by: ['severity'],
    where: { state: { in: ['firing', 'acknowledged'] } },
    _count: { _all: true },
  });
  const out: Record<TAlertSeverity, number> = { info: 0, warning: 0, critical: 0 };
  for (const r of rows) if (r.severity in out) out[r.severity as TAlertSeverity] = r._count._all;
  return out;
}

/** firing → acknowledged, by an operator; audited, announced to webhooks. Acknowledging twice is refused. */
export async function acknowledgeAlert(
  deps: { db: Db; now?: () => Date; publicUrl?: string },
  principal: Principal,
  id: string,
): Promise<AlertView> {
  const { db } = deps;
  const now = (deps.now ?? (() => new Date()))();
  const audit = { actor: principal, action: 'alert.acknowledge', target: { type: 'alert', id } };
  return auditRefusal(db, audit, async () => {
    const by = principal.kind === 'user' ? principal.email : `${principal.tokenName} (${principal.email})`;
    const alert = await db.$transaction(async (tx) => {
      // Compare-and-set: only a firing alert moves, so a concurrent resolve or second ack wins cleanly.
      const moved = await tx.alert.updateMany({
        where: { id, state: 'firing' },
        data: { state: 'acknowledged', acknowledgedAt: now, acknowledgedBy: by },
      });
      const row = await tx.alert.findUnique({ where: { id }, select: alertSelect });
      if (!row) throw new DomainError('NOT_FOUND', `No alert ${id}`);
      if (moved.count === 0) throw new DomainError('CONFLICT', `Alert ${id} is ${row.state}, not firing`);
      const names = await subjectNames(tx, [row]);
      await enqueueDeliveries(
        tx,
        [
          {
            event: 'alert.acknowledged',
            alert: toPayloadAlert({ id: row.ruleId, ...row.rule }, row, names.get(row.subjectId)),
          },
        ],
        { now, publicUrl: deps.publicUrl ?? '' },
      );
      if (row.deviceId) {
        await recordDeviceEvent(tx, {
          deviceId: row.deviceId,
          seq: null,
          ts: now,
          source: 'operator',
          kind: 'alert_acknowledged',
          severity: 'info',
          message: `Alert acknowledged by ${by}: ${row.rule.name} — ${row.summary}`.slice(0, 2000),
        });
      }
      return { ...row, subjectName: names.get(row.subjectId) ?? null };
    });
    await auditSuccess(db, { ...audit, detail: { rule: alert.rule.name, subject: alert.subjectId } });
    return alert;
  });
}

/** Open alerts per rule id. */
export async function openAlertsByRule(db: Db): Promise<Map<string, number>> {
  const rows = await db.alert.groupBy({
    by: ['ruleId'],
    where: { state: { in: ['firing', 'acknowledged'] } },
    _count: { _all: true },
  });
  return new Map(rows.map((r) => [r.ruleId, r._count._all]));
}
