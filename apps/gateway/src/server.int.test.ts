import { get } from 'node:https';
import { connect } from 'node:tls';
import { type FleetPki, loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { createTestDatabase, type TestDatabase } from '@edgefleet/db/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, type GatewayOptions, startGateway } from './server.ts';

function getText(pki: FleetPki, port: number, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    // Trusting only the fleet root: the gateway must send its issuing CA along with its certificate.
    get({ host: '127.0.0.1', port, path, ca: pki.rootCertPem, servername: 'localhost' }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    }).on('error', reject);
  });
}

describe('gateway', () => {
  let t: TestDatabase;
  let pki: FleetPki;
  let gw: Gateway | undefined;
  const start = (over: Partial<GatewayOptions> = {}) =>
    startGateway({
      db: t.db,
      pki,
      bind: '127.0.0.1',
      devicePort: 0,
      mqttPort: 0,
      checkDatabase: async () => {},
      ...over,
    });

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    pki = await loadOrCreateFleetPki(t.db, { secret: 'x'.repeat(40), publicHost: 'gw.example.test' });
  });
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers /healthz over HTTPS with the fleet-issued certificate, and serves the CA chain', async () => {
    gw = await start();
    const health = await getText(pki, gw.devicePort, '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({ status: 'ok', mqtt: { clients: 0 } });
    const ca = await getText(pki, gw.devicePort, '/v1/ca');
    expect(ca.status).toBe(200);
    expect(ca.text).toBe(pki.caChainPem);
  });

  it('reports 503 when the database is down', async () => {
    gw = await start({
      checkDatabase: async () => {
        throw new Error('connection refused');
      },
    });
    const res = await getText(pki, gw.devicePort, '/healthz');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text).error).toBe('connection refused');
  });

  it('refuses MQTT clients that present no device certificate with CONNACK 5, and records it', async () => {
    gw = await start();
    const port = gw.mqttPort;
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, ca: pki.caChainPem, servername: 'localhost' }, () => {
        // MQTT 3.1.1 CONNECT for client "dev1"
        socket.write(Buffer.from([0x10, 0x10, 0, 4, 77, 81, 84, 84, 4, 2, 0, 60, 0, 4, 100, 101, 118, 49]));
      });
      socket.on('data', (d: Buffer) => resolve(d.toString('hex')));
      socket.on('error', (e) => resolve(`error: ${e.message}`));
      socket.on('close', () => resolve('closed'));
    });
    expect(outcome).toBe('20020005'); // CONNACK, return code 5: not authorized
    await expect
      .poll(() => t.db.auditEvent.findFirst({ where: { action: 'device.mqtt.connect', targetId: 'dev1' } }))
      .toMatchObject({ outcome: 'failure', detail: expect.objectContaining({ reason: 'no client certificate' }) });
  });
});
