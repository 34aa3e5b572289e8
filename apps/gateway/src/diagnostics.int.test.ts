// Remote diagnostics at the gateway: the mTLS routes a device lists and answers its requests with,
// and the retained `diagnostics` doorbell. (The real agent answering end to end is in
// packages/agent/src/diagnostics/diagnostics.int.test.ts.)
import { request } from 'node:https';
import { requestDiagnostics } from '@edgefleet/core/health/diagnostics';
import { testOperator } from '@edgefleet/core/identity/testing';
import { type FleetPki, loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { type SeededDevice, seedTestDevice } from '@edgefleet/core/pki/testing';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { PROTOCOL_VERSION, topics } from '@edgefleet/protocol/device';
import { MAX_DIAGNOSTICS_BYTES, type TDiagnosticsBundle, ZDiagnosticsNotice } from '@edgefleet/protocol/health';
import { mqtt } from 'aws-iot-device-sdk-v2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeQuietly, newDeviceConnection, tryConnect } from './mqtt/testing.ts';
import type { Gateway } from './server.ts';
import { startTestGateway } from './testing.ts';

interface Reply {
  status: number;
  body: string;
}

const bundle = (): TDiagnosticsBundle => ({
  v: PROTOCOL_VERSION,
  collectedAt: new Date().toISOString(),
  agentVersion: '0.1.0',
  logTail: ['connected'],
  config: {},
  models: [],
  recentErrors: [],
  system: { os: 'linux' },
});

describe.each(testDatabaseKinds())('gateway diagnostics on %s', (kind) => {
  let t: TestDatabase;
  let pki: FleetPki;
  let gw: Gateway;
  const open: mqtt.MqttClientConnection[] = [];

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    pki = await loadOrCreateFleetPki(t.db, { secret: 'd'.repeat(40), publicHost: 'localhost' });
    gw = await startTestGateway(t.db, pki, { log: () => {} });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map(closeQuietly));
  });
  afterAll(async () => {
    await gw?.close();
    await t?.close();
  });

  /** `body` as a Buffer is sent in pieces without a Content-Length (a streamed upload). */
  function call(method: string, path: string, device?: SeededDevice, body?: string | Buffer) {
    return new Promise<Reply>((resolve, reject) => {
      const streamed = Buffer.isBuffer(body);
      const req = request(
        {
          host: '127.0.0.1',
          port: gw.devicePort,
          method,
          path,
          ca: pki.caChainPem,
          servername: 'localhost',
          headers:
            typeof body === 'string'
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
              : streamed
                ? { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }
                : {},
          ...(device ? { key: device.keyPem, cert: device.certPem } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      // The server may answer (and close) before a refused body is all sent.
      req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(e)));
      if (streamed) {
        const piece = 64 * 1024;
        for (let i = 0; i < body.length; i += piece) req.write(body.subarray(i, i + piece));
        req.end();
      } else req.end(body);
    });
  }
  const ask = (d: SeededDevice) => requestDiagnostics({ db: t.db }, { deviceId: d.deviceId, actor: testOperator });
  const upload = (d: SeededDevice | undefined, id: string, body: string | Buffer) =>
    call('POST', `/v1/diagnostics/${id}`, d, body);

  it('lists only the calling device’s pending requests and stores its bundle once', async () => {
    const [a, b] = [await seedTestDevice(t.db, pki), await seedTestDevice(t.db, pki)];
    const r = await ask(a);
    const pending = await call('GET', '/v1/diagnostics/pending', a);
    expect(pending.status).toBe(200);
    expect(ZDiagnosticsNotice.parse(JSON.parse(pending.body)).requestIds).toEqual([r.id]);
    expect(JSON.parse((await call('GET', '/v1/diagnostics/pending', b)).body).requestIds).toEqual([]);
    expect((await call('GET', '/v1/diagnostics/pending')).status).toBe(401);

    const ok = await upload(a, r.id, JSON.stringify(bundle()));
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ id: r.id, status: 'uploaded' });
    const row = await t.db.diagnosticsRequest.findUniqueOrThrow({ where: { id: r.id } });
    expect(row.status).toBe('uploaded');
    expect(row.sizeBytes).toBeGreaterThan(0);
    expect((await upload(a, r.id, JSON.stringify(bundle()))).status).toBe(409);
    expect(JSON.parse((await call('GET', '/v1/diagnostics/pending', a)).body).requestIds).toEqual([]);
  });

  it("refuses a device answering another device's request, and a caller without a certificate", async () => {
    const [owner, intruder] = [await seedTestDevice(t.db, pki), await seedTestDevice(t.db, pki)];
    const r = await ask(owner);
    const refused = await upload(intruder, r.id, JSON.stringify(bundle()));
    expect(refused.status).toBe(404);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'not_found' });
    expect((await upload(undefined, r.id, JSON.stringify(bundle()))).status).toBe(401);
    const row = await t.db.diagnosticsRequest.findUniqueOrThrow({ where: { id: r.id } });
    expect(row).toMatchObject({ status: 'pending', bundle: null });
    expect(
      await t.db.auditEvent.count({
        where: { action: 'device.diagnostics.upload', actorId: intruder.deviceId, outcome: 'failure' },
      }),
    ).toBe(1);
  });

  it('refuses an oversized body with 413, declared or streamed, and an invalid bundle with 400 and the reason', async () => {
    const d = await seedTestDevice(t.db, pki);
    const r = await ask(d);
    const big = JSON.stringify({ ...bundle(), config: { blob: 'x'.repeat(MAX_DIAGNOSTICS_BYTES) } });
    expect((await upload(d, r.id, big)).status).toBe(413);
    expect((await upload(d, r.id, Buffer.from(big))).status).toBe(413);
    const invalid = await upload(d, r.id, JSON.stringify({ ...bundle(), logTail: 'one line' }));
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body).message).toMatch(/logTail/);
    const notJson = await upload(d, r.id, '{"v":');
    expect(notJson.status).toBe(400);
    expect((await t.db.diagnosticsRequest.findUniqueOrThrow({ where: { id: r.id } })).status).toBe('pending');
    // Still answerable after all that.
    expect((await upload(d, r.id, JSON.stringify(bundle()))).status).toBe(200);
  });

  it('rings the retained doorbell for a device that subscribes later, and empties it once answered', async () => {
    const d = await seedTestDevice(t.db, pki);
    const r = await ask(d);
    await expect
      .poll(async () => (await t.db.diagnosticsRequest.findUniqueOrThrow({ where: { id: r.id } })).notifiedAt, {
        timeout: 5000,
      })
      .not.toBeNull();
    const c = newDeviceConnection({ port: gw.mqttPort, caChainPem: pki.caChainPem, clientId: d.deviceId, ...d });
    open.push(c);
    expect(await tryConnect(c)).toBe('connected');
    const notices: string[] = [];
    await c.subscribe(topics.diagnostics(d.deviceId), mqtt.QoS.AtLeastOnce, (_topic, payload) => {
      notices.push(Buffer.from(payload).toString('utf8'));
    });
    await expect.poll(() => notices, { timeout: 5000 }).toHaveLength(1);
    expect(ZDiagnosticsNotice.parse(JSON.parse(notices[0] ?? ''))).toEqual({ v: 1, requestIds: [r.id] });

    expect((await upload(d, r.id, JSON.stringify(bundle()))).status).toBe(200);
    // Nothing pending: the retained notice is replaced by an empty one.
    await expect.poll(() => notices, { timeout: 5000 }).toHaveLength(2);
    expect(ZDiagnosticsNotice.parse(JSON.parse(notices[1] ?? ''))).toEqual({ v: 1, requestIds: [] });
  });
});
