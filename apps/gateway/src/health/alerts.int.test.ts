// Alerts end to end: real agents (the edgefleet-agent binary, enrolled over HTTPS, reporting over
// mTLS MQTT) → the gateway's telemetry ingest → alert evaluation in the engine leader's tick →
// signed webhooks to a local receiver.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRule } from '@edgefleet/core/health/alerts/rules';
import { createWebhook } from '@edgefleet/core/health/webhooks/manage';
import { createEnrollmentToken } from '@edgefleet/core/identity/enrollment-tokens';
import { testOperator } from '@edgefleet/core/identity/testing';
import { type FleetPki, loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import {
  type TWebhookPayload,
  WEBHOOK_DELIVERY_HEADER,
  WEBHOOK_EVENT_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
} from '@edgefleet/protocol/health';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../server.ts';
import { startTestGateway } from '../testing.ts';

const AGENT_BIN = fileURLToPath(new URL('../../../../packages/agent/bin/edgefleet-agent.js', import.meta.url));
const SECRET = 'health-alerts-test-secret-0123456789abcdef';

interface Hook {
  headers: IncomingHttpHeaders;
  body: string;
}

async function until<T>(what: string, check: () => Promise<T | null | undefined | false> | T, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.each(testDatabaseKinds())('alerts from real agents on %s', (kind) => {
  let t: TestDatabase;
  let pki: FleetPki;
  let gw: Gateway;
  const received: Hook[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  const agents: ChildProcess[] = [];
  const dirs: string[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    pki = await loadOrCreateFleetPki(t.db, { secret: SECRET, publicHost: 'localhost' });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    gw = await startTestGateway(t.db, pki, {
      engine: { databaseUrl: t.url, tickMs: 200, retryMs: 200 },
      health: {
        secret: SECRET,
        publicUrl: 'http://fleet.test',
        intervalsMs: { webhooks: 200, alerts: 500, liveness: 1000, rollups: 1000 },
        rollupSafetySeconds: 2,
        livenessSeconds: 4,
      },
      log: (m) => logs.push(m),
    });
  });
  afterAll(async () => {
    for (const a of agents) a.kill('SIGKILL');
    await gw?.close();
    await new Promise((r) => receiver.close(r));
    await t?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  function agent(args: string[]): { child: ChildProcess; exited: Promise<number | null> } {
    const child = spawn(process.execPath, [AGENT_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (c) => logs.push(String(c)));
    child.stderr?.on('data', (c) => logs.push(String(c)));
    agents.push(child);
    return { child, exited: new Promise((r) => child.on('exit', r)) };
  }

  /** Enrolls a device with the real agent CLI and starts `edgefleet-agent run` reporting every 500 ms. */
  async function startDevice(token: string) {
    const dir = await mkdtemp(join(tmpdir(), 'ef-alerts-agent-'));
    dirs.push(dir);
    const fingerprint = pki.fingerprint.toUpperCase().match(/../g)?.join(':') ?? '';
    const enroll = agent([
      ...['enroll', '--server', `https://localhost:${gw.devicePort}`, '--token', token, '--data-dir', dir],
      ...['--ca-fingerprint', fingerprint, '--mqtt-port', String(gw.mqttPort)],
    ]);
    expect(await enroll.exited, logs.join('')).toBe(0);
    const device = await until('the enrolled device', () =>
      t.db.device.findFirst({ where: { status: 'accepted', id: { notIn: devices } }, orderBy: { createdAt: 'desc' } }),
    );
    devices.push(device.id);
    const run = agent([
      ...['run', '--data-dir', dir, '--inference-port', '0', '--heartbeat', '1s'],
      ...['--telemetry-interval', '500ms'],
    ]);
    return { id: device.id, run };
  }
  const devices: string[] = [];

  const events = (alertId: string) =>
    received
      .filter((h) => (JSON.parse(h.body) as TWebhookPayload).alert?.id === alertId)
      .map((h) => h.headers[WEBHOOK_EVENT_HEADER]);

  it('fires from the agents’ telemetry, resolves when the condition goes, and signs both webhooks', async () => {
    const { signingSecret } = await createWebhook({ db: t.db, secret: SECRET }, testOperator, {
      name: 'receiver',
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`,
    });
    const { token } = await createEnrollmentToken(t.db, testOperator, { group: 'lab', autoApprove: true });
    const watched = await startDevice(token);
    const other = await startDevice(token);

    // Every real sample crosses "memory > 0 %"; the rule watches one of the two devices.
    const rule = await createRule({ db: t.db }, testOperator, {
      kind: 'metric',
      name: 'memory in use',
      metric: 'memory_percent',
      operator: 'gt',
      threshold: 0,
      windowSeconds: 10,
      severity: 'critical',
      selector: { kind: 'devices', deviceIds: [watched.id] },
    });

    // The window must be covered by samples before the rule holds: ~10 s of telemetry.
    const alert = await until('the alert to fire', () =>
      t.db.alert.findFirst({ where: { ruleId: rule.id, state: 'firing' } }),
    );
    expect(alert).toMatchObject({ subjectType: 'device', subjectId: watched.id, severity: 'critical' });
    expect(alert.value).toBeGreaterThan(0);
    const samples = await t.db.telemetrySample.count({ where: { deviceId: watched.id } });
    expect(samples).toBeGreaterThanOrEqual(10);
    await until('the firing webhook', () => events(alert.id).includes('alert.firing'));

    // The condition goes: the watched device stops reporting (its samples leave the window).
    watched.run.child.kill('SIGTERM');
    expect(await watched.run.exited).toBe(0);
    const resolved = await until('the alert to resolve', () =>
      t.db.alert.findFirst({ where: { id: alert.id, state: 'resolved' } }),
    );
    expect(resolved.openKey).toBeNull();
    await until('the resolved webhook', () => events(alert.id).includes('alert.resolved'));

    // Both arrived signed with the webhook's secret over the exact bytes, once each.
    const mine = received.filter((h) => (JSON.parse(h.body) as TWebhookPayload).alert?.id === alert.id);
    expect(mine.map((h) => h.headers[WEBHOOK_EVENT_HEADER])).toEqual(['alert.firing', 'alert.resolved']);
    for (const h of mine) {
      const expected = `sha256=${createHmac('sha256', signingSecret).update(h.body).digest('hex')}`;
      expect(h.headers[WEBHOOK_SIGNATURE_HEADER]).toBe(expected);
      expect(h.headers[WEBHOOK_DELIVERY_HEADER]).toBe((JSON.parse(h.body) as TWebhookPayload).deliveryId);
    }
    expect((JSON.parse(mine[1]?.body ?? '{}') as TWebhookPayload).alert).toMatchObject({
      state: 'resolved',
      subject: { type: 'device', id: watched.id },
      rule: { id: rule.id, name: 'memory in use', kind: 'metric' },
    });
    // The device's timeline has both transitions; the unwatched device never alerted.
    const timeline = await t.db.deviceEvent.findMany({ where: { deviceId: watched.id, source: 'alert' } });
    expect(timeline.map((e) => e.kind).sort()).toEqual(['alert_firing', 'alert_resolved']);
    expect(await t.db.alert.count({ where: { ruleId: rule.id, subjectId: other.id } })).toBe(0);
    // Rollups ran in the leader's tick too.
    await until('rollups of the agents’ telemetry', () =>
      t.db.telemetryRollup.findFirst({ where: { deviceId: other.id } }),
    );

    other.run.child.kill('SIGTERM');
    expect(await other.run.exited).toBe(0);
  }, 120_000);
  it('sets a device whose agent stopped answering offline although its connection is still open', async () => {
    const { token } = await createEnrollmentToken(t.db, testOperator, { group: 'lab', autoApprove: true });
    const dev = await startDevice(token);
    await until('the device online', async () => (await t.db.device.findUnique({ where: { id: dev.id } }))?.online);
    // A frozen agent (as behind a dead gateway or a half-open TCP connection): no disconnect arrives.
    dev.run.child.kill('SIGSTOP');
    try {
      await until(
        'the liveness sweep',
        async () => !(await t.db.device.findUniqueOrThrow({ where: { id: dev.id } })).online,
      );
      expect(gw.connectedDeviceIds()).toContain(dev.id);
      const events = await t.db.deviceEvent.findMany({
        where: { deviceId: dev.id, kind: 'disconnected', source: 'gateway' },
      });
      expect(events).toHaveLength(1);
      expect(events[0]?.message).toContain('No heartbeat for 4 s');
    } finally {
      dev.run.child.kill('SIGKILL');
    }
  }, 60_000);
});
