import { get } from 'node:https';
import { writeDeviceEvents, writeTelemetryBatch } from '@edgefleet/core/health/ingest';
import { telemetryMessage } from '@edgefleet/core/health/ingest-testing';
import { type FleetPki, loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { type SeededDevice, seedTestDevice } from '@edgefleet/core/pki/testing';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { topics } from '@edgefleet/protocol/device';
import { MAX_TELEMETRY_BYTES } from '@edgefleet/protocol/telemetry';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway, GatewayOptions } from '../server.ts';
import { startTestGateway } from '../testing.ts';
import { closedByBroker, connectMqttDevice } from './ingest-testing.ts';
import type { IngestWriter } from './telemetry-ingest.ts';

const healthz = (pki: FleetPki, port: number) =>
  new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/healthz', ca: pki.rootCertPem, servername: 'localhost' }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    }).on('error', reject);
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const json = (v: unknown) => JSON.stringify(v);

describe.each(testDatabaseKinds())('telemetry ingest through the gateway on %s', (kind) => {
  let t: TestDatabase;
  let pki: FleetPki;
  const gateways: Gateway[] = [];
  const clients: MqttClient[] = [];

  const start = async (over: Partial<GatewayOptions> = {}) => {
    const gw = await startTestGateway(t.db, pki, { log: () => {}, ...over });
    gateways.push(gw);
    return gw;
  };
  const device = async (gw: Gateway, d?: SeededDevice) => {
    const seeded = d ?? (await seedTestDevice(t.db, pki));
    const client = await connectMqttDevice({
      port: gw.mqttPort,
      caChainPem: pki.caChainPem,
      clientId: seeded.deviceId,
      ...seeded,
    });
    client.on('error', () => {});
    clients.push(client);
    return { id: seeded.deviceId, client, seeded };
  };
  const samples = (deviceId: string) =>
    t.db.telemetrySample.findMany({ where: { deviceId }, orderBy: { seq: 'asc' }, select: { seq: true } });
  const seqs = async (deviceId: string) => (await samples(deviceId)).map((s) => s.seq);

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    pki = await loadOrCreateFleetPki(t.db, { secret: 'x'.repeat(40), publicHost: 'localhost' });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => {})));
    await Promise.all(gateways.splice(0).map((g) => g.close()));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('writes valid telemetry (sample + inference rows) and events; the PUBACK comes after the commit', async () => {
    const commits: number[][] = [];
    const gw = await start({ onIngestCommitted: (lags) => commits.push(lags) });
    const a = await device(gw);
    await a.client.publishAsync(topics.telemetry(a.id), json(telemetryMessage(1)), { qos: 1 });
    // Acknowledged ⇒ stored: queryable the moment the PUBACK is in, no polling.
    const sample = await t.db.telemetrySample.findUniqueOrThrow({
      where: { deviceId_seq: { deviceId: a.id, seq: 1 } },
    });
    expect(sample).toMatchObject({ cpuPercent: 42.5, requests: 11, errors: 1, agentVersion: '0.1.0' });
    expect(await t.db.inferenceSample.count({ where: { deviceId: a.id, seq: 1 } })).toBe(2);

    const event = {
      v: 1,
      seq: 7,
      ts: new Date().toISOString(),
      kind: 'install',
      severity: 'info',
      message: 'installed',
    };
    await a.client.publishAsync(topics.events(a.id), json({ ...event, model: 'detector', version: '1.0.0' }), {
      qos: 1,
    });
    expect(
      await t.db.deviceEvent.findMany({
        where: { deviceId: a.id, source: 'device' },
        select: { seq: true, kind: true, model: true },
      }),
    ).toEqual([{ seq: 7, kind: 'install', model: 'detector' }]);
    expect(commits.flat().length).toBe(2);
    // Connects are recorded as gateway events (batched with the messages).
    await expect
      .poll(() => t.db.deviceEvent.findMany({ where: { deviceId: a.id, source: 'gateway' }, select: { kind: true } }))
      .toEqual([{ kind: 'connected' }]);
    expect(gw.ingestStats()).toMatchObject({ received: 2, written: 2, duplicates: 0, bufferDepth: 0 });
  });

  it('writes a re-sent message (same seq) once and counts the duplicate', async () => {
    const gw = await start();
    const a = await device(gw);
    const message = json(telemetryMessage(5));
    await a.client.publishAsync(topics.telemetry(a.id), message, { qos: 1 });
    await a.client.publishAsync(topics.telemetry(a.id), message, { qos: 1, dup: true });
    const ev = json({ v: 1, seq: 1, ts: new Date().toISOString(), kind: 'error', severity: 'error', message: 'x' });
    await Promise.all([
      a.client.publishAsync(topics.events(a.id), ev, { qos: 1 }),
      a.client.publishAsync(topics.events(a.id), ev, { qos: 1 }),
    ]);
    expect(await seqs(a.id)).toEqual([5]);
    expect(await t.db.inferenceSample.count({ where: { deviceId: a.id } })).toBe(2);
    expect(await t.db.deviceEvent.count({ where: { deviceId: a.id, source: 'device' } })).toBe(1);
    expect(gw.ingestStats()).toMatchObject({ received: 4, written: 2, duplicates: 2 });
  });

  it('drops bad input by reason, writes nothing for it, and keeps the connection and other devices going', async () => {
    const gw = await start();
    const a = await device(gw);
    const b = await device(gw);
    const valid = telemetryMessage(1);
    const day = 86_400_000;
    const bad: [string, string | Buffer][] = [
      ['not_json', '{"v":1,'],
      ['not_json', json(telemetryMessage(11)).replace('42.5', 'NaN')],
      ['schema', json({ v: 1, hello: 'world' })],
      ['schema', json(telemetryMessage(12, { system: { ...valid.system, memoryUsedBytes: -1 } }))],
      ['schema', json(telemetryMessage(13)).replace('42.5', '"NaN"')],
      ['schema', json(telemetryMessage(14)).replace('42.5', '1e999')], // JSON.parse gives Infinity
      ['schema', json(telemetryMessage(15, { ts: new Date(Date.now() + day).toISOString() }))],
      ['schema', json(telemetryMessage(16, { ts: new Date(Date.now() - 500 * day).toISOString() }))],
      ['schema', json(telemetryMessage(17, { seq: -1 }))],
      ['too_large', json({ ...telemetryMessage(18), pad: 'x'.repeat(MAX_TELEMETRY_BYTES) })],
    ];
    for (const [, payload] of bad) {
      // Each is acknowledged (sending it again would not make it valid) on the same connection.
      await a.client.publishAsync(topics.telemetry(a.id), payload, { qos: 1 });
    }
    await a.client.publishAsync(topics.events(a.id), json({ v: 1, seq: 1, ts: valid.ts, kind: 'nope' }), { qos: 1 });
    // The same connection still works, and so does the other device's.
    await a.client.publishAsync(topics.telemetry(a.id), json(valid), { qos: 1 });
    await b.client.publishAsync(topics.telemetry(b.id), json(telemetryMessage(3)), { qos: 1 });
    expect(await seqs(a.id)).toEqual([1]);
    expect(await seqs(b.id)).toEqual([3]);
    expect(await t.db.inferenceSample.count({ where: { deviceId: a.id } })).toBe(2);
    expect(await t.db.deviceEvent.count({ where: { deviceId: a.id, source: 'device' } })).toBe(0);
    const stats = gw.ingestStats();
    expect(stats.invalid).toEqual({ not_json: 2, schema: 8, too_large: 1 });
    expect(stats).toMatchObject({ received: 13, written: 2 });
    expect(a.client.connected && b.client.connected).toBe(true);
  });

  it('rate-limits a flood from one device, counted, while another device still lands', async () => {
    const gw = await start({ ingest: { ratePerSecond: 20, rateBurst: 20, rateMaxDelayMs: 500 } });
    const flooder = await device(gw);
    const other = await device(gw);
    const started = Date.now();
    const flood = Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        flooder.client.publishAsync(topics.telemetry(flooder.id), json(telemetryMessage(i)), { qos: 1 }),
      ),
    );
    await other.client.publishAsync(topics.telemetry(other.id), json(telemetryMessage(1)), { qos: 1 });
    expect(await seqs(other.id)).toEqual([1]);
    await flood; // dropped ones are acknowledged too: resending a flood would not help
    const elapsed = (Date.now() - started) / 1000;
    const stored = (await samples(flooder.id)).length;
    // burst + what the rate refilled + the short tolerated debt; the rest dropped and counted
    expect(stored).toBeGreaterThanOrEqual(20);
    expect(stored).toBeLessThanOrEqual(20 + Math.ceil(20 * elapsed) + 11);
    expect(gw.ingestStats().rateLimited).toBe(300 - stored);
  });

  it('holds back the acknowledgement of a sender slightly over the rate instead of dropping', async () => {
    // The agent keeps at most 8 messages unacknowledged while it drains a backlog: throttled, not lost.
    const gw = await start({ ingest: { ratePerSecond: 10, rateBurst: 5, rateMaxDelayMs: 1000 } });
    const a = await device(gw);
    const started = Date.now();
    for (let wave = 0; wave < 3; wave++) {
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          a.client.publishAsync(topics.telemetry(a.id), json(telemetryMessage(wave * 8 + i)), { qos: 1 }),
        ),
      );
    }
    expect((await samples(a.id)).length).toBe(24);
    expect(gw.ingestStats().rateLimited).toBe(0);
    // 24 messages, 5 of burst, at 10/s: the acknowledgements took about 1.9 s
    expect(Date.now() - started).toBeGreaterThan(1500);
  });

  it("refuses telemetry published on another device's topic: connection closed, nothing written", async () => {
    const gw = await start();
    const attacker = await device(gw);
    const victim = await seedTestDevice(t.db, pki);
    const closed = closedByBroker(attacker.client);
    attacker.client.publish(topics.telemetry(victim.deviceId), json(telemetryMessage(1)), { qos: 1 });
    await closed;
    await sleep(300);
    expect(await seqs(victim.deviceId)).toEqual([]);
    expect(gw.ingestStats().received).toBe(0);
  });

  it('under failing writes keeps messages unacknowledged, reports it, holds messages beyond the buffer, refuses beyond the hold queue, and loses nothing acknowledged', async () => {
    let failing = false;
    const writer: IngestWriter = {
      telemetry: (db, items) =>
        failing ? Promise.reject(new Error('database unavailable')) : writeTelemetryBatch(db, items),
      events: (db, events) =>
        failing ? Promise.reject(new Error('database unavailable')) : writeDeviceEvents(db, events),
    };
    const gw = await start({
      ingestWriter: writer,
      ingest: { bufferLimit: 6, holdLimit: 1, retryMinMs: 50, retryMaxMs: 200 },
    });
    const a = await device(gw);
    const b = await device(gw);
    const c = await device(gw);
    const d = await device(gw);
    // Their connect events written before the outage, so only messages are in the buffer.
    await expect.poll(() => t.db.deviceEvent.count({ where: { deviceId: d.id, kind: 'connected' } })).toBe(1);
    failing = true;
    const acked: number[] = [];
    // Sent in one go, so they arrive together: Aedes reads no further packets from a connection
    // while one of its messages is held.
    const publishes = [1, 2, 3, 4].map((seq) =>
      a.client
        .publishAsync(topics.telemetry(a.id), json(telemetryMessage(seq)), { qos: 1 })
        .then(() => acked.push(seq)),
    );
    await expect.poll(() => gw.ingestStats().writeFailures).toBeGreaterThan(1);
    await sleep(300);
    expect(acked).toEqual([]);
    const stats = gw.ingestStats();
    expect(stats.bufferDepth).toBeGreaterThanOrEqual(4);
    expect(stats.lastWriteError).toBe('database unavailable');
    const health = await healthz(pki, gw.devicePort);
    expect(health.status).toBe(200);
    expect(health.body.ingest).toMatchObject({
      degraded: true,
      bufferLimit: 6,
      lastWriteError: 'database unavailable',
    });
    expect((health.body.ingest as { bufferDepth: number }).bufferDepth).toBeGreaterThanOrEqual(4);

    // Fill the buffer to its limit; the next message waits for room (no PUBACK, the connection
    // stays), and one more beyond the hold queue is refused: no PUBACK, connection closed, so the
    // device keeps it and sends it again later.
    const bAcked: number[] = [];
    const bPublishes = [1, 2].map((seq) =>
      b.client
        .publishAsync(topics.telemetry(b.id), json(telemetryMessage(seq)), { qos: 1 })
        .then(() => bAcked.push(seq)),
    );
    await expect.poll(() => gw.ingestStats().bufferDepth).toBe(6);
    let cAcked = false;
    const cPublish = c.client.publishAsync(topics.telemetry(c.id), json(telemetryMessage(1)), { qos: 1 }).then(() => {
      cAcked = true;
    });
    await expect.poll(() => gw.ingestStats().heldDepth).toBe(1);
    expect(gw.ingestStats()).toMatchObject({ held: 1, rejectedFull: 0, bufferDepth: 6 });
    expect((await healthz(pki, gw.devicePort)).body.ingest).toMatchObject({ heldDepth: 1, holdLimit: 1 });
    const dClosed = closedByBroker(d.client);
    d.client.publishAsync(topics.telemetry(d.id), json(telemetryMessage(1)), { qos: 1 }).catch(() => {});
    await dClosed;
    expect(gw.ingestStats().rejectedFull).toBe(1);
    expect(c.client.connected).toBe(true);
    expect(acked).toEqual([]);
    expect(cAcked).toBe(false);

    const recoveredAt = new Date();
    failing = false;
    await Promise.all(publishes);
    expect(acked.sort()).toEqual([1, 2, 3, 4]);
    expect(await seqs(a.id)).toEqual([1, 2, 3, 4]);
    // Stamped when written, not when they arrived: the rollup job (which reads by receivedAt
    // behind a safety margin) still sees messages that waited out an outage.
    const stamps = await t.db.telemetrySample.findMany({ where: { deviceId: a.id }, select: { receivedAt: true } });
    for (const { receivedAt } of stamps) expect(receivedAt.getTime()).toBeGreaterThanOrEqual(recoveredAt.getTime());
    await Promise.all(bPublishes);
    expect(await seqs(b.id)).toEqual([1, 2]);
    // The held message went in once there was room, and was acknowledged after its commit.
    await cPublish;
    expect(await seqs(c.id)).toEqual([1]);
    expect(await seqs(d.id)).toEqual([]);
    expect(gw.ingestStats()).toMatchObject({ bufferDepth: 0, heldDepth: 0 });
    const after = await healthz(pki, gw.devicePort);
    expect(after.body.ingest).toMatchObject({ degraded: false, bufferDepth: 0 });
  });

  it("marks a device offline on its last will, but not when a newer connection replaced the will's", async () => {
    const gw = await start();
    const will = (id: string) => ({ topic: topics.status(id), payload: json({ v: 1, online: false }) });
    const seeded = await seedTestDevice(t.db, pki);
    const first = await connectMqttDevice({
      port: gw.mqttPort,
      caChainPem: pki.caChainPem,
      clientId: seeded.deviceId,
      will: will(seeded.deviceId),
      ...seeded,
    });
    first.on('error', () => {});
    clients.push(first);
    await expect
      .poll(async () => (await t.db.device.findUniqueOrThrow({ where: { id: seeded.deviceId } })).online)
      .toBe(true);
    // A takeover: the new connection's arrival closes the old one, whose will is then published.
    const second = await device(gw, seeded);
    await sleep(500);
    expect((await t.db.device.findUniqueOrThrow({ where: { id: seeded.deviceId } })).online).toBe(true);
    expect(gw.connectedDeviceIds()).toContain(seeded.deviceId);
    // The connection dies without DISCONNECT: offline.
    second.client.stream.destroy();
    await expect
      .poll(async () => (await t.db.device.findUniqueOrThrow({ where: { id: seeded.deviceId } })).online)
      .toBe(false);
  });
});
