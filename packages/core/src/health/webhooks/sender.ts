import { createHmac } from 'node:crypto';
import { type Db, Prisma } from '@edgefleet/db/client';
import { WEBHOOK_DELIVERY_HEADER, WEBHOOK_EVENT_HEADER, WEBHOOK_SIGNATURE_HEADER } from '@edgefleet/protocol/health';
import { openWebhookSecret } from './secrets.ts';

/**
 * Sends queued webhook deliveries. A batch is claimed by pushing its rows' nextAttemptAt past the
 * request timeout (a lease, taken with SKIP LOCKED), so two senders never post the same delivery
 * at once and a sender that dies mid-request leaves the row to be retried once the lease ends.
 * 2xx is delivered; anything else (status, timeout, refused connection) is retried with
 * exponential backoff and jitter until MAX_ATTEMPTS, then the delivery is failed.
 */

export const MAX_ATTEMPTS = 8;
/** Wait after the n-th failed attempt (seconds), before jitter; capped at an hour. */
export const BACKOFF_SECONDS = [10, 30, 120, 600, 1800, 3600, 3600] as const;

export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const base = BACKOFF_SECONDS[Math.min(attempts, BACKOFF_SECONDS.length) - 1] ?? 3600;
  return Math.round(base * 1000 * (0.8 + 0.4 * random()));
}

export const signBody = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;

export interface SenderOptions {
  db: Db;
  /** The control plane's secret, which seals each webhook's signing key. */
  secret: string;
  now?: () => Date;
  timeoutMs?: number;
  batch?: number;
  concurrency?: number;
  /** Only these deliveries, due or not (the "send test" action); otherwise whatever is due. */
  ids?: string[];
  /** Send to disabled webhooks too (the test action); otherwise their deliveries fail. */
  includeDisabled?: boolean;
  log?: (message: string) => void;
}

export interface SendResult {
  delivered: number;
  retrying: number;
  failed: number;
}

interface Claimed {
  id: string;
  webhookId: string;
  event: string;
  body: string;
  attempts: number;
}

export async function deliverDueWebhooks(opts: SenderOptions): Promise<SendResult> {
  const { db } = opts;
  const now = (opts.now ?? (() => new Date()))();
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const leaseUntil = new Date(now.getTime() + timeoutMs + 30_000);
  // Named deliveries are sent whenever asked; otherwise those whose time has come.
  const which = opts.ids
    ? Prisma.sql`"id" = ANY(${opts.ids}::text[])`
    : Prisma.sql`"nextAttemptAt" <= ${now}::timestamp(3)`;
  const claimed = await db.$queryRaw<Claimed[]>`
    UPDATE "webhook_deliveries" SET "nextAttemptAt" = ${leaseUntil}::timestamp(3)
    WHERE "id" IN (
      SELECT "id" FROM "webhook_deliveries"
      WHERE "status" = 'pending' AND ${which}
      ORDER BY "nextAttemptAt" LIMIT ${opts.batch ?? 50} FOR UPDATE SKIP LOCKED)
    RETURNING "id", "webhookId", "event", "body", "attempts"`;
  const result: SendResult = { delivered: 0, retrying: 0, failed: 0 };
  if (claimed.length === 0) return result;
  const hooks = new Map(
    (
      await db.webhook.findMany({
        where: { id: { in: [...new Set(claimed.map((c) => c.webhookId))] } },
        select: { id: true, url: true, enabled: true, secretEnc: true },
      })
    ).map((h) => [h.id, h]),
  );
  const queue = [...claimed];
  const worker = async () => {
    for (let d = queue.shift(); d; d = queue.shift()) {
      const hook = hooks.get(d.webhookId);
      const outcome =
        hook && (hook.enabled || opts.includeDisabled)
          ? await post(hook.url, signingKey(opts.secret, hook), d, timeoutMs)
          : { ok: false, status: null, error: 'webhook disabled', final: true };
      const attempts = d.attempts + 1;
      if (outcome.ok) {
        result.delivered += 1;
        await db.webhookDelivery.update({
          where: { id: d.id },
          data: { status: 'delivered', attempts, deliveredAt: now, responseStatus: outcome.status, lastError: null },
        });
        continue;
      }
      // A test is answered at once in the dashboard; retrying it later would only confuse.
      const give = outcome.final || attempts >= MAX_ATTEMPTS || d.event === 'webhook.test';
      if (give) result.failed += 1;
      else result.retrying += 1;
      opts.log?.(`webhook delivery ${d.id} attempt ${attempts} failed: ${outcome.error}`);
      await db.webhookDelivery.update({
        where: { id: d.id },
        data: {
          status: give ? 'failed' : 'pending',
          attempts,
          responseStatus: outcome.status,
          lastError: outcome.error.slice(0, 1000),
          nextAttemptAt: give ? now : new Date(now.getTime() + backoffMs(attempts)),
        },
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, claimed.length) }, worker));
  return result;
}

/** The key, or an Error when it cannot be opened (EDGEFLEET_SECRET changed): then the delivery fails. */
function signingKey(secret: string, hook: { id: string; secretEnc: string }): string | Error {
  try {
    return openWebhookSecret(secret, hook.id, hook.secretEnc);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

async function post(
  url: string,
  key: string | Error,
  d: Claimed,
  timeoutMs: number,
): Promise<{ ok: boolean; status: number | null; error: string; final?: boolean }> {
  if (key instanceof Error) return { ok: false, status: null, error: `signing key: ${key.message}`, final: true };
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'EdgeFleet-Webhooks/1',
        [WEBHOOK_SIGNATURE_HEADER]: signBody(key, d.body),
        [WEBHOOK_DELIVERY_HEADER]: d.id,
        [WEBHOOK_EVENT_HEADER]: d.event,
      },
      body: d.body,
      // A redirect is not followed: the signature is meant for the URL the operator configured.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text().catch(() => '');
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, error: '' };
    return { ok: false, status: res.status, error: `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}` };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = err.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (err.cause?.message ?? err.message);
    return { ok: false, status: null, error: why };
  }
}
