import {
  acknowledgeAlert,
  countOpenAlerts,
  listAlerts,
  openAlertsByRule,
} from '@edgefleet/core/health/alerts/lifecycle';
import { createRule, deleteRule, listRules, setRuleEnabled, updateRule } from '@edgefleet/core/health/alerts/rules';
import {
  createWebhook,
  deleteWebhook,
  listDeliveries,
  listWebhooks,
  sendTestWebhook,
  updateWebhook,
} from '@edgefleet/core/health/webhooks/manage';
import { ALERT_SEVERITIES, ALERT_STATES, ZAlertRuleInput, ZWebhookInput } from '@edgefleet/protocol/health';
import { z } from 'zod';
import type { Context } from '../context.ts';
import { router, scopedProcedure } from '../trpc.ts';

const ZId = z.string().min(1).max(64);
const webhookDeps = (ctx: Context) => ({ db: ctx.db, secret: ctx.secret, publicUrl: ctx.publicUrl });

/** Alerts, alert rules and webhook notifications. Reads need health:read, changes alerts:write; core audits each change. */
export const alertsRouter = router({
  list: scopedProcedure('health:read')
    .input(
      z
        .object({
          state: z.enum([...ALERT_STATES, 'open']).optional(),
          severity: z.enum(ALERT_SEVERITIES).optional(),
          deviceId: ZId.optional(),
          ruleId: ZId.optional(),
          limit: z.number().int().min(1).max(200).optional(),
          cursor: ZId.nullish(),
        })
        .optional(),
    )
    .query(({ ctx, input }) => listAlerts(ctx.db, input ?? {})),

  /** Open (firing or acknowledged) alerts per severity, for badges. */
  openCounts: scopedProcedure('health:read').query(({ ctx }) => countOpenAlerts(ctx.db)),

  acknowledge: scopedProcedure('alerts:write')
    .meta({ target: 'alert', auditedInCore: true })
    .input(z.object({ id: ZId }))
    .mutation(({ ctx, input }) => acknowledgeAlert({ db: ctx.db, publicUrl: ctx.publicUrl }, ctx.principal, input.id)),

  rules: router({
    /** Every rule (the built-in ones first, created on first use) with its open alerts. */
    list: scopedProcedure('health:read').query(async ({ ctx }) => {
      const rules = await listRules(ctx.db);
      const open = await openAlertsByRule(ctx.db);
      return rules.map((r) => ({ ...r, openAlerts: open.get(r.id) ?? 0 }));
    }),

    create: scopedProcedure('alerts:write')
      .meta({ target: 'alert_rule', auditedInCore: true })
      .input(ZAlertRuleInput)
      .mutation(({ ctx, input }) => createRule({ db: ctx.db }, ctx.principal, input)),

    update: scopedProcedure('alerts:write')
      .meta({ target: 'alert_rule', auditedInCore: true })
      .input(z.object({ id: ZId, rule: ZAlertRuleInput }))
      .mutation(({ ctx, input }) => updateRule({ db: ctx.db }, ctx.principal, input.id, input.rule)),

    setEnabled: scopedProcedure('alerts:write')
      .meta({ target: 'alert_rule', auditedInCore: true })
      .input(z.object({ id: ZId, enabled: z.boolean() }))
      .mutation(({ ctx, input }) => setRuleEnabled({ db: ctx.db }, ctx.principal, input.id, input.enabled)),

    delete: scopedProcedure('alerts:write')
      .meta({ target: 'alert_rule', auditedInCore: true })
      .input(z.object({ id: ZId }))
      .mutation(({ ctx, input }) => deleteRule({ db: ctx.db }, ctx.principal, input.id)),
  }),

  webhooks: router({
    list: scopedProcedure('health:read').query(({ ctx }) => listWebhooks(ctx.db)),

    /** The signing secret is in this answer only; it is stored sealed and never shown again. */
    create: scopedProcedure('alerts:write')
      .meta({ target: 'webhook', auditedInCore: true })
      .input(ZWebhookInput)
      .mutation(({ ctx, input }) => createWebhook(webhookDeps(ctx), ctx.principal, input)),

    update: scopedProcedure('alerts:write')
      .meta({ target: 'webhook', auditedInCore: true })
      .input(z.object({ id: ZId, patch: ZWebhookInput.partial() }))
      .mutation(({ ctx, input }) => updateWebhook(webhookDeps(ctx), ctx.principal, input.id, input.patch)),

    delete: scopedProcedure('alerts:write')
      .meta({ target: 'webhook', auditedInCore: true })
      .input(z.object({ id: ZId }))
      .mutation(({ ctx, input }) => deleteWebhook(webhookDeps(ctx), ctx.principal, input.id)),

    /** Sends a `webhook.test` event now and answers with the delivery (status, HTTP status, error). */
    test: scopedProcedure('alerts:write')
      .meta({ target: 'webhook', auditedInCore: true })
      .input(z.object({ id: ZId }))
      .mutation(({ ctx, input }) => sendTestWebhook(webhookDeps(ctx), ctx.principal, input.id)),

    deliveries: scopedProcedure('health:read')
      .input(
        z
          .object({
            webhookId: ZId.optional(),
            alertId: ZId.optional(),
            status: z.enum(['pending', 'delivered', 'failed']).optional(),
            limit: z.number().int().min(1).max(200).optional(),
          })
          .optional(),
      )
      .query(({ ctx, input }) => listDeliveries(ctx.db, input ?? {})),
  }),
});
