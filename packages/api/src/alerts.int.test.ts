import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { evaluateAlerts } from '@edgefleet/core/health/alerts/evaluate';
import { createTestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, createTestPki } from './test/harness.ts';

describe.each(testDatabaseKinds())('alerts procedures on %s', (kind) => {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let h: ReturnType<typeof createApiHarness>;
  let op: { cookie: string };
  let viewer: { cookie: string };
  const bodies: string[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200).end();
    });
  });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    h = createApiHarness(t.db, await createTestPki(t.db));
    const o = await h.makeUser('operator');
    const v = await h.makeUser('viewer');
    op = { cookie: (await h.signIn(o.email, o.password)).cookie };
    viewer = { cookie: (await h.signIn(v.email, v.password)).cookie };
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise((r) => receiver.close(r));
    await t?.close();
  });

  it('rules: viewers read, operators write; invalid input is refused; built-ins are listed', async () => {
    const list = await h.call('alerts.rules.list', undefined, viewer, 'query');
    expect(list.status).toBe(200);
    expect(list.data.filter((r: { builtIn: boolean }) => r.builtIn)).toHaveLength(3);

    const rule = { kind: 'metric', name: 'hot', metric: 'temperature_c', threshold: 80, windowSeconds: 300 };
    expect((await h.call('alerts.rules.create', rule, viewer, 'mutation')).status).toBe(403);
    const created = await h.call('alerts.rules.create', rule, op, 'mutation');
    expect(created.status, JSON.stringify(created.error)).toBe(200);
    expect(created.data).toMatchObject({ name: 'hot', operator: 'gt', severity: 'warning', enabled: true });
    const bad = await h.call('alerts.rules.create', { ...rule, metric: 'nope' }, op, 'mutation');
    expect(bad.status).toBe(400);

    const id = created.data.id as string;
    const off = await h.call('alerts.rules.setEnabled', { id, enabled: false }, op, 'mutation');
    expect(off.data).toMatchObject({ enabled: false });
    const upd = await h.call('alerts.rules.update', { id, rule: { ...rule, threshold: 85 } }, op, 'mutation');
    expect(upd.data).toMatchObject({ threshold: 85 });
    expect((await h.call('alerts.rules.delete', { id }, op, 'mutation')).status).toBe(200);
    expect((await h.call('alerts.rules.delete', { id }, op, 'mutation')).status).toBe(404);
    const audited = await t.db.auditEvent.findMany({ where: { targetId: id }, select: { action: true } });
    // Each change once (core audits; the middleware does not add a second row).
    expect(audited.map((a) => a.action).sort()).toEqual([
      'alert_rule.create',
      'alert_rule.delete',
      'alert_rule.delete',
      'alert_rule.disable',
      'alert_rule.update',
    ]);
  });

  it('webhooks: the secret is shown once; test sends; alerts list and acknowledge', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
    const created = await h.call('alerts.webhooks.create', { name: 'ops', url }, op, 'mutation');
    expect(created.status, JSON.stringify(created.error)).toBe(200);
    const secret = created.data.signingSecret as string;
    expect(secret).toMatch(/^whsec_/);
    const list = await h.call('alerts.webhooks.list', undefined, viewer, 'query');
    expect(JSON.stringify(list.data)).not.toContain(secret);
    expect(JSON.stringify(list.data)).not.toContain('secretEnc');
    const audit = await t.db.auditEvent.findMany({ select: { detail: true } });
    expect(JSON.stringify(audit)).not.toContain(secret);

    const id = created.data.webhook.id as string;
    const test = await h.call('alerts.webhooks.test', { id }, op, 'mutation');
    expect(test.data).toMatchObject({ status: 'delivered', responseStatus: 200 });
    expect(JSON.parse(bodies.at(-1) ?? '{}')).toMatchObject({ event: 'webhook.test' });
    const deliveries = await h.call('alerts.webhooks.deliveries', { webhookId: id }, viewer, 'query');
    expect(deliveries.data).toHaveLength(1);
    expect(deliveries.data[0]).not.toHaveProperty('body');

    // An offline device fires the built-in rule; the operator acknowledges it.
    await t.db.device.create({
      data: {
        id: 'dev_api_alerts',
        name: 'box',
        status: 'accepted',
        facts: {},
        publicKeyPem: 'k-api-alerts',
        online: false,
        lastSeenAt: new Date(Date.now() - 3600_000),
      },
    });
    await evaluateAlerts({ db: t.db });
    const open = await h.call('alerts.list', { state: 'open', deviceId: 'dev_api_alerts' }, viewer, 'query');
    expect(open.data.items).toHaveLength(1);
    const alertId = open.data.items[0].id as string;
    expect((await h.call('alerts.acknowledge', { id: alertId }, viewer, 'mutation')).status).toBe(403);
    const ack = await h.call('alerts.acknowledge', { id: alertId }, op, 'mutation');
    expect(ack.data).toMatchObject({ state: 'acknowledged' });
    expect((await h.call('alerts.acknowledge', { id: alertId }, op, 'mutation')).status).toBe(409);
    const counts = await h.call('alerts.openCounts', undefined, viewer, 'query');
    expect(counts.data.warning).toBeGreaterThanOrEqual(1);

    expect((await h.call('alerts.webhooks.delete', { id }, op, 'mutation')).status).toBe(200);
  });
});
