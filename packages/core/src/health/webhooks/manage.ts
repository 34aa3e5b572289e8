import { randomBytes } from 'node:crypto';
import type { Db, Prisma } from '@edgefleet/db/client';
import { type TWebhookInput, ZWebhookInput } from '@edgefleet/protocol/health';
import type { Principal } from '../../access.ts';
import { DomainError } from '../../errors.ts';
import { parseOrInvalid } from '../../identity/refusals.ts';
import { auditRefusal, auditSuccess } from '../../rollouts/events.ts';
import { newDeliveryId, webhookBody } from './payload.ts';
import { newWebhookSecret, sealWebhookSecret } from './secrets.ts';
import { deliverDueWebhooks } from './sender.ts';

/** Webhook endpoints: CRUD (audited), a test send, and the delivery log. The signing key is never returned after creation. */

export interface WebhookDeps {
  db: Db;
  /** The control plane's secret (seals the signing keys). */
  secret: string;
  now?: () => Date;
  publicUrl?: string;
  timeoutMs?: number;
}

const webhookSelect = {
  id: true,
  name: true,
  url: true,
  format: true,
  minSeverity: true,
  enabled: true,
  createdBy: true,
  createdAt: true,
  updatedAt: true,
} as const satisfies Prisma.WebhookSelect;

export type WebhookView = Prisma.WebhookGetPayload<{ select: typeof webhookSelect }>;

const deliverySelect = {
  id: true,
  webhookId: true,
  alertId: true,
  event: true,
  status: true,
  attempts: true,
  nextAttemptAt: true,
  lastError: true,
  responseStatus: true,
  createdAt: true,
  deliveredAt: true,
} as const satisfies Prisma.WebhookDeliverySelect;

export type DeliveryView = Prisma.WebhookDeliveryGetPayload<{ select: typeof deliverySelect }>;

export const newWebhookId = () => `wh_${randomBytes(8).toString('hex')}`;

/**
 * A webhook URL as shown and audited: the origin and first path segment, the rest elided. Slack
 * and Teams put the credential in the path (…/services/T…/B…/<secret>), so anyone who can read
 * alerts must not see it whole.
 */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    const parts = u.pathname.split('/').filter(Boolean);
    const more = parts.length > 1 || u.search !== '';
    return `${u.origin}${parts[0] ? `/${parts[0]}` : ''}${more ? '/…' : ''}`;
  } catch {
    return '…';
  }
}

const toView = (hook: WebhookView): WebhookView => ({ ...hook, url: maskUrl(hook.url) });

export const listWebhooks = async (db: Db): Promise<WebhookView[]> =>
  (await db.webhook.findMany({ select: webhookSelect, orderBy: { createdAt: 'asc' } })).map(toView);

/** Creates a webhook; `signingSecret` is returned this once and never again. */
export async function createWebhook(
  deps: WebhookDeps,
  principal: Principal,
  input: TWebhookInput,
): Promise<{ webhook: WebhookView; signingSecret: string }> {
  const { db } = deps;
  const id = newWebhookId();
  const audit = { actor: principal, action: 'webhook.create', target: { type: 'webhook', id } };
  return auditRefusal(
    db,
    { ...audit, detail: { name: input?.name, url: maskUrl(String(input?.url ?? '')) } },
    async () => {
      const hook = parseOrInvalid(ZWebhookInput, input);
      const signingSecret = newWebhookSecret();
      const webhook = await db.webhook.create({
        data: { ...hook, id, secretEnc: sealWebhookSecret(deps.secret, id, signingSecret), createdBy: principal.email },
        select: webhookSelect,
      });
      await auditSuccess(db, { ...audit, detail: { ...hook, url: maskUrl(hook.url) } });
      return { webhook: toView(webhook), signingSecret };
    },
  );
}

async function existing(db: Db, id: string): Promise<WebhookView> {
  const hook = await db.webhook.findUnique({ where: { id }, select: webhookSelect });
  if (!hook) throw new DomainError('NOT_FOUND', `No webhook ${id}`);
  return hook;
}

/** Changes any of name, URL, format, minimum severity, enabled; the signing key stays. */
export async function updateWebhook(
  deps: WebhookDeps,
  principal: Principal,
  id: string,
  input: Partial<TWebhookInput>,
): Promise<WebhookView> {
  const { db } = deps;
  const audit = { actor: principal, action: 'webhook.update', target: { type: 'webhook', id } };
  const detail = { ...input, ...(input.url ? { url: maskUrl(input.url) } : {}) };
  return auditRefusal(db, { ...audit, detail }, async () => {
    const before = await existing(db, id);
    const hook = parseOrInvalid(ZWebhookInput, {
      name: before.name,
      url: before.url,
      format: before.format,
      minSeverity: before.minSeverity,
      enabled: before.enabled,
      ...input,
    });
    const updated = await db.webhook.update({ where: { id }, data: hook, select: webhookSelect });
    await auditSuccess(db, { ...audit, detail: { ...hook, url: maskUrl(hook.url) } });
    return toView(updated);
  });
}

export async function deleteWebhook(deps: WebhookDeps, principal: Principal, id: string): Promise<{ id: string }> {
  const { db } = deps;
  const audit = { actor: principal, action: 'webhook.delete', target: { type: 'webhook', id } };
  return auditRefusal(db, audit, async () => {
    const hook = await existing(db, id);
    await db.webhook.delete({ where: { id } });
    await auditSuccess(db, { ...audit, detail: { name: hook.name, url: maskUrl(hook.url) } });
    return { id };
  });
}

/** Queues a `webhook.test` delivery and sends it at once; the result is in the returned delivery. */
export async function sendTestWebhook(deps: WebhookDeps, principal: Principal, id: string): Promise<DeliveryView> {
  const { db } = deps;
  const now = (deps.now ?? (() => new Date()))();
  const audit = { actor: principal, action: 'webhook.test', target: { type: 'webhook', id } };
  return auditRefusal(db, audit, async () => {
    const hook = await existing(db, id);
    const deliveryId = newDeliveryId();
    await db.webhookDelivery.create({
      data: {
        id: deliveryId,
        webhookId: id,
        event: 'webhook.test',
        body: webhookBody(hook.format, 'webhook.test', deliveryId, now, null, deps.publicUrl ?? ''),
        status: 'pending',
        // Leased to this call: the gateway's sender leaves it alone unless this process dies first.
        nextAttemptAt: new Date(now.getTime() + 5 * 60_000),
        createdAt: now,
      },
    });
    // Sent even when the webhook is disabled: the operator asked for exactly this one.
    await deliverDueWebhooks({
      db,
      secret: deps.secret,
      now: () => now,
      ids: [deliveryId],
      timeoutMs: deps.timeoutMs,
      includeDisabled: true,
    });
    const delivery = await db.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId }, select: deliverySelect });
    await auditSuccess(db, { ...audit, detail: { status: delivery.status, responseStatus: delivery.responseStatus } });
    return delivery;
  });
}

export async function listDeliveries(
  db: Db,
  q: { webhookId?: string; alertId?: string; status?: string; limit?: number } = {},
): Promise<DeliveryView[]> {
  return db.webhookDelivery.findMany({
    where: {
      ...(q.webhookId ? { webhookId: q.webhookId } : {}),
      ...(q.alertId ? { alertId: q.alertId } : {}),
      ...(q.status ? { status: q.status } : {}),
    },
    select: deliverySelect,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: Math.min(Math.max(q.limit ?? 50, 1), 200),
  });
}
