import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from '@edgefleet/db/client';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import {
  type TWebhookPayload,
  WEBHOOK_DELIVERY_HEADER,
  WEBHOOK_EVENT_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
} from '@edgefleet/protocol/health';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testAdmin } from '../../registry/testing.ts';
import { seedFleet, TestClock } from '../../rollouts/engine-testing.ts';
import { evaluateAlerts } from '../alerts/evaluate.ts';
import { acknowledgeAlert } from '../alerts/lifecycle.ts';
import { createRule, ensureDefaultRules } from '../alerts/rules.ts';
import { createWebhook, deleteWebhook, listDeliveries, sendTestWebhook, updateWebhook } from './manage.ts';
import { deliverDueWebhooks, MAX_ATTEMPTS } from './sender.ts';

const SECRET = 'control-plane-secret-for-tests-0123456789';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver that answers with the next status of `script` (then 200) and keeps what it got. */
function receiver() {
  const got: Received[] = [];
  let script: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(script.shift() ?? 200).end('ok');
    });
  });
  return {
    got,
    server,
    respond: (statuses: number[]) => {
      script = [...statuses];
    },
    url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
  };
}

const verify = (key: string, r: Received) => {
  const expected = Buffer.from(`sha256=${createHmac('sha256', key).update(r.body).digest('hex')}`);
  const given = Buffer.from(String(r.headers[WEBHOOK_SIGNATURE_HEADER] ?? ''));
  return given.length === expected.length && timingSafeEqual(given, expected);
};

describe.each(testDatabaseKinds())('webhooks on %s', (kind) => {
  let t: TestDatabase;
  let db: Db;
  const clock = new TestClock('2030-01-07T12:00:00.000Z');
  const hooks = receiver();
  const deps = () => ({ db, secret: SECRET, now: clock.now, publicUrl: 'http://fleet.test' });
  const send = () => deliverDueWebhooks({ db, secret: SECRET, now: clock.now, timeoutMs: 2000 });
  const evaluate = () => evaluateAlerts({ db, now: clock.now, publicUrl: 'http://fleet.test' });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    db = t.db;
    await new Promise<void>((r) => hooks.server.listen(0, '127.0.0.1', r));
    // Only each test's own rule may fire (the built-in offline rule would double every alert).
    await ensureDefaultRules(db);
    await db.alertRule.updateMany({ where: { builtIn: true }, data: { enabled: false } });
  });
  afterAll(async () => {
    await new Promise((r) => hooks.server.close(r));
    await t?.close();
  });
  beforeEach(async () => {
    clock.set('2030-01-07T12:00:00.000Z');
    hooks.got.length = 0;
    hooks.respond([]);
  });
  afterEach(async () => {
    // Each test's webhooks must not receive the next test's alerts.
    await db.webhook.deleteMany();
  });

  /** A device offline for an hour, watched by its own rule: one evaluation fires one alert. */
  async function offlineDevice(severity: 'info' | 'warning' | 'critical' = 'warning') {
    const [dev] = (await seedFleet(db, 1, { online: false })) as [string];
    await db.device.update({ where: { id: dev }, data: { lastSeenAt: new Date(clock.now().getTime() - 3600_000) } });
    const rule = await createRule({ db }, testAdmin, {
      kind: 'device_offline',
      name: 'offline',
      severity,
      selector: { kind: 'devices', deviceIds: [dev] },
      windowSeconds: 600,
    });
    return { dev, rule };
  }

  it('delivers each transition signed with the webhook secret (HMAC-SHA256 of the exact body)', async () => {
    const { webhook, signingSecret } = await createWebhook(deps(), testAdmin, { name: 'ops', url: hooks.url() });
    expect(signingSecret).toMatch(/^whsec_/);
    // The URL is shown without its path (Slack and Teams keep their credential there).
    expect(webhook.url).toBe(`${new URL(hooks.url()).origin}/hook`);
    const slack = await createWebhook(deps(), testAdmin, {
      name: 'chat',
      url: 'https://hooks.slack.com/services/T000/B000/s3cr3tT0k3n',
      format: 'slack',
    });
    expect(slack.webhook.url).toBe('https://hooks.slack.com/services/…');
    expect(JSON.stringify(await db.auditEvent.findMany({ select: { detail: true } }))).not.toContain('s3cr3tT0k3n');
    await deleteWebhook(deps(), testAdmin, slack.webhook.id);
    // The secret is sealed at rest, never stored in the clear.
    const row = await db.webhook.findUniqueOrThrow({ where: { id: webhook.id } });
    expect(row.secretEnc).not.toContain(signingSecret);

    const { dev, rule } = await offlineDevice();
    await evaluate();
    expect(await send()).toMatchObject({ delivered: 1 });
    const firing = hooks.got[0] as Received;
    expect(firing.headers['content-type']).toBe('application/json');
    expect(firing.headers[WEBHOOK_EVENT_HEADER]).toBe('alert.firing');
    expect(verify(signingSecret, firing)).toBe(true);
    expect(verify('whsec_wrong', firing)).toBe(false);
    const payload = JSON.parse(firing.body) as TWebhookPayload;
    expect(payload.deliveryId).toBe(firing.headers[WEBHOOK_DELIVERY_HEADER]);
    expect(payload.alert).toMatchObject({
      state: 'firing',
      severity: 'warning',
      rule: { id: rule.id, kind: 'device_offline' },
      subject: { type: 'device', id: dev, name: dev },
    });
    expect(payload.alert?.url).toBe(`http://fleet.test/alerts?alert=${payload.alert?.id}`);

    // Acknowledge and resolve: one delivery each, in order.
    await acknowledgeAlert(deps(), testAdmin, payload.alert?.id as string);
    await db.device.update({ where: { id: dev }, data: { online: true, lastSeenAt: clock.now() } });
    await evaluate();
    expect(await send()).toMatchObject({ delivered: 2 });
    const events = hooks.got.map((r) => r.headers[WEBHOOK_EVENT_HEADER]);
    expect(events.sort()).toEqual(['alert.acknowledged', 'alert.firing', 'alert.resolved']);
    for (const r of hooks.got) expect(verify(signingSecret, r)).toBe(true);
    const resolved = JSON.parse(
      hooks.got.find((r) => r.headers[WEBHOOK_EVENT_HEADER] === 'alert.resolved')?.body ?? '',
    );
    expect(resolved.alert).toMatchObject({ state: 'resolved', acknowledgedBy: testAdmin.email });

    // Nothing is sent twice.
    expect(await send()).toMatchObject({ delivered: 0 });
    expect(hooks.got).toHaveLength(3);
  });

  it('retries a 500 with backoff, then delivers the same bytes; gives up after the last attempt', async () => {
    const { signingSecret } = await createWebhook(deps(), testAdmin, { name: 'flaky', url: hooks.url() });
    await offlineDevice();
    await evaluate();
    hooks.respond([500]);
    expect(await send()).toMatchObject({ retrying: 1 });
    const [d] = await listDeliveries(db);
    expect(d).toMatchObject({ status: 'pending', attempts: 1, responseStatus: 500 });
    expect(d?.lastError).toContain('HTTP 500');
    const wait = (d?.nextAttemptAt.getTime() ?? 0) - clock.now().getTime();
    expect(wait).toBeGreaterThanOrEqual(8000); // 10 s ± 20 % jitter
    expect(wait).toBeLessThanOrEqual(12_000);
    // Not before its time.
    clock.advance(5);
    expect(await send()).toMatchObject({ delivered: 0, retrying: 0 });
    clock.advance(8);
    expect(await send()).toMatchObject({ delivered: 1 });
    expect(hooks.got).toHaveLength(2);
    expect(hooks.got[1]?.body).toBe(hooks.got[0]?.body);
    expect(hooks.got[1]?.headers[WEBHOOK_DELIVERY_HEADER]).toBe(hooks.got[0]?.headers[WEBHOOK_DELIVERY_HEADER]);
    expect(verify(signingSecret, hooks.got[1] as Received)).toBe(true);
    expect((await listDeliveries(db))[0]).toMatchObject({ status: 'delivered', attempts: 2 });

    // A receiver that never recovers: backoff grows, and after MAX_ATTEMPTS the delivery fails.
    await db.webhookDelivery.deleteMany();
    await offlineDevice();
    await evaluate();
    hooks.respond(Array.from({ length: MAX_ATTEMPTS + 2 }, () => 503));
    const waits: number[] = [];
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await send();
      const [row] = await listDeliveries(db);
      waits.push((row?.nextAttemptAt.getTime() ?? 0) - clock.now().getTime());
      clock.set(new Date(Math.max(clock.now().getTime(), row?.nextAttemptAt.getTime() ?? 0) + 1));
    }
    const [last] = await listDeliveries(db);
    expect(last).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, responseStatus: 503 });
    expect(waits[1] as number).toBeGreaterThan(waits[0] as number);
    expect(Math.max(...waits)).toBeLessThanOrEqual(3600_000 * 1.2);
  });

  it('times out a receiver that does not answer', async () => {
    const silent = createServer(() => {}); // never responds
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
      await createWebhook(deps(), testAdmin, { name: 'silent', url });
      await offlineDevice();
      await evaluate();
      const started = Date.now();
      expect(await deliverDueWebhooks({ db, secret: SECRET, now: clock.now, timeoutMs: 300 })).toMatchObject({
        retrying: 1,
      });
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await listDeliveries(db))[0]?.lastError).toContain('timed out');
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  it('slack and teams formats send { text }, and minSeverity filters', async () => {
    await createWebhook(deps(), testAdmin, { name: 'slack', url: hooks.url(), format: 'slack' });
    await createWebhook(deps(), testAdmin, {
      name: 'pager',
      url: `${hooks.url()}?pager`,
      format: 'teams',
      minSeverity: 'critical',
    });
    await offlineDevice('warning');
    await evaluate();
    await send();
    expect(hooks.got).toHaveLength(1); // the warning is below the pager's minimum
    const body = JSON.parse(hooks.got[0]?.body ?? '{}');
    expect(Object.keys(body)).toEqual(['text']);
    expect(body.text).toContain('FIRING [warning]');
    expect(body.text).toContain('http://fleet.test/alerts?alert=');

    await offlineDevice('critical');
    await evaluate();
    await send();
    expect(hooks.got).toHaveLength(3); // slack and teams both take a critical one
  });

  it('test send reports the outcome at once; update and delete are audited', async () => {
    const { webhook, signingSecret } = await createWebhook(deps(), testAdmin, { name: 'ops', url: hooks.url() });
    const ok = await sendTestWebhook(deps(), testAdmin, webhook.id);
    expect(ok).toMatchObject({ status: 'delivered', event: 'webhook.test', responseStatus: 200 });
    expect(verify(signingSecret, hooks.got[0] as Received)).toBe(true);
    expect(JSON.parse(hooks.got[0]?.body ?? '{}')).toMatchObject({ event: 'webhook.test', alert: null });

    hooks.respond([404]);
    const bad = await sendTestWebhook(deps(), testAdmin, webhook.id);
    expect(bad).toMatchObject({ status: 'failed', responseStatus: 404 }); // a test is not retried

    const disabled = await updateWebhook(deps(), testAdmin, webhook.id, { enabled: false });
    expect(disabled).toMatchObject({ enabled: false, name: 'ops' });
    await offlineDevice();
    await evaluate();
    expect(await listDeliveries(db, { webhookId: webhook.id, status: 'pending' })).toHaveLength(0);

    await expect(updateWebhook(deps(), testAdmin, webhook.id, { url: 'ftp://x' })).rejects.toMatchObject({
      code: 'INVALID',
    });
    await deleteWebhook(deps(), testAdmin, webhook.id);
    const audit = await db.auditEvent.findMany({
      where: { targetId: webhook.id },
      select: { action: true, outcome: true },
    });
    const seen = audit.map((a) => `${a.action}:${a.outcome}`);
    for (const a of [
      'webhook.create:success',
      'webhook.test:success',
      'webhook.update:failure',
      'webhook.delete:success',
    ]) {
      expect(seen).toContain(a);
    }
    // The secret never appears in the audit log.
    expect(
      JSON.stringify(await db.auditEvent.findMany({ where: { targetId: webhook.id }, select: { detail: true } })),
    ).not.toContain(signingSecret);
  });
});
