import { randomBytes } from 'node:crypto';
import type { Db, Prisma } from '@edgefleet/db/client';
import {
  ALERT_SEVERITIES,
  type TAlertRuleKind,
  type TAlertSeverity,
  type TAlertState,
  type TWebhookEvent,
  type TWebhookPayload,
} from '@edgefleet/protocol/health';

/**
 * What a webhook receives. Each alert transition becomes one delivery row per enabled webhook at
 * or above its minimum severity, holding the exact body bytes (the signature is computed over
 * them at send time, and retries send the same bytes).
 */

type DbOrTx = Db | Prisma.TransactionClient;

export const newDeliveryId = () => `whd_${randomBytes(10).toString('hex')}`;

export interface AlertForPayload {
  id: string;
  state: TAlertState;
  severity: string;
  summary: string;
  value: number | null;
  subjectType: string;
  subjectId: string;
  firedAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  resolvedAt: Date | null;
  rule: { id: string; name: string; kind: string };
  subjectName?: string;
}

export interface Transition {
  event: Exclude<TWebhookEvent, 'webhook.test'>;
  alert: AlertForPayload;
}

const severityRank = (s: string) => Math.max(0, ALERT_SEVERITIES.indexOf(s as TAlertSeverity));

export const alertUrl = (publicUrl: string, alertId: string) =>
  `${publicUrl.replace(/\/+$/, '')}/alerts?alert=${encodeURIComponent(alertId)}`;

export function jsonPayload(
  event: TWebhookEvent,
  deliveryId: string,
  sentAt: Date,
  alert: AlertForPayload | null,
  publicUrl: string,
): TWebhookPayload {
  return {
    event,
    deliveryId,
    sentAt: sentAt.toISOString(),
    alert: alert && {
      id: alert.id,
      state: alert.state,
      severity: alert.severity as TAlertSeverity,
      summary: alert.summary,
      rule: { id: alert.rule.id, name: alert.rule.name, kind: alert.rule.kind as TAlertRuleKind },
      subject: {
        type: alert.subjectType === 'rollout' ? 'rollout' : 'device',
        id: alert.subjectId,
        ...(alert.subjectName ? { name: alert.subjectName } : {}),
      },
      value: alert.value,
      firedAt: alert.firedAt.toISOString(),
      acknowledgedAt: alert.acknowledgedAt?.toISOString() ?? null,
      acknowledgedBy: alert.acknowledgedBy,
      resolvedAt: alert.resolvedAt?.toISOString() ?? null,
      url: alertUrl(publicUrl, alert.id),
    },
  };
}

const EMOJI: Record<string, string> = { critical: '🔴', warning: '🟠', info: '🔵' };

/** One line for chat: Slack and Teams incoming webhooks both take `{ "text": "…" }`. */
export function chatText(event: TWebhookEvent, alert: AlertForPayload | null, publicUrl: string): string {
  if (!alert) return 'EdgeFleet test notification: this webhook is set up correctly.';
  const what =
    event === 'alert.firing'
      ? `${EMOJI[alert.severity] ?? ''} FIRING [${alert.severity}]`
      : event === 'alert.acknowledged'
        ? `👀 ACKNOWLEDGED by ${alert.acknowledgedBy ?? 'an operator'}`
        : '✅ RESOLVED';
  return `${what.trim()} ${alert.rule.name}: ${alert.summary} — ${alertUrl(publicUrl, alert.id)}`;
}

export function webhookBody(
  format: string,
  event: TWebhookEvent,
  deliveryId: string,
  sentAt: Date,
  alert: AlertForPayload | null,
  publicUrl: string,
): string {
  if (format === 'slack' || format === 'teams') return JSON.stringify({ text: chatText(event, alert, publicUrl) });
  return JSON.stringify(jsonPayload(event, deliveryId, sentAt, alert, publicUrl));
}

/** Queues one delivery per transition and enabled webhook that wants its severity. */
export async function enqueueDeliveries(
  db: DbOrTx,
  transitions: readonly Transition[],
  opts: { now: Date; publicUrl: string },
): Promise<number> {
  if (transitions.length === 0) return 0;
  const hooks = await db.webhook.findMany({
    where: { enabled: true },
    select: { id: true, format: true, minSeverity: true },
  });
  const rows: Prisma.WebhookDeliveryCreateManyInput[] = [];
  for (const t of transitions) {
    for (const hook of hooks) {
      if (severityRank(t.alert.severity) < severityRank(hook.minSeverity)) continue;
      const id = newDeliveryId();
      rows.push({
        id,
        webhookId: hook.id,
        alertId: t.alert.id,
        event: t.event,
        body: webhookBody(hook.format, t.event, id, opts.now, t.alert, opts.publicUrl),
        status: 'pending',
        nextAttemptAt: opts.now,
        createdAt: opts.now,
      });
    }
  }
  for (let i = 0; i < rows.length; i += 1000) {
    await db.webhookDelivery.createMany({ data: rows.slice(i, i + 1000) });
  }
  return rows.length;
}
