import { mkdtempSync, statSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from './server.ts';
import { loadOrCreateGatewayIdentity } from './tls-identity.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'ef-gw-'));
const identity = loadOrCreateGatewayIdentity(dataDir, 'gw.example.test');

function getJson(port: number, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, ca: identity.cert, servername: 'localhost' }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    }).on('error', reject);
  });
}

describe('gateway', () => {
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('keeps its TLS key private and reuses it across starts', () => {
    expect(statSync(join(dataDir, 'gateway/server.key')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateGatewayIdentity(dataDir, 'gw.example.test').cert).toBe(identity.cert);
  });

  it('answers /healthz over HTTPS with a certificate valid for localhost', async () => {
    gw = await startGateway({ identity, bind: '127.0.0.1', devicePort: 0, mqttPort: 0, checkDatabase: async () => {} });
    const res = await getJson(gw.devicePort, '/healthz');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    const missing = await getJson(gw.devicePort, '/nope');
    expect(missing.status).toBe(404);
  });

  it('reports 503 when the database is down', async () => {
    gw = await startGateway({
      identity,
      bind: '127.0.0.1',
      devicePort: 0,
      mqttPort: 0,
      checkDatabase: async () => {
        throw new Error('connection refused');
      },
    });
    const res = await getJson(gw.devicePort, '/healthz');
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('connection refused');
  });

  it('refuses MQTT clients that present no device certificate', async () => {
    gw = await startGateway({ identity, bind: '127.0.0.1', devicePort: 0, mqttPort: 0, checkDatabase: async () => {} });
    const port = gw.mqttPort;
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, ca: identity.cert, servername: 'localhost' }, () => {
        // MQTT 3.1.1 CONNECT for client "dev1"; a refused TLS handshake closes before any CONNACK.
        socket.write(Buffer.from([0x10, 0x10, 0, 4, 77, 81, 84, 84, 4, 2, 0, 60, 0, 4, 100, 101, 118, 49]));
      });
      socket.on('data', () => resolve('connack'));
      socket.on('error', (e) => resolve(`error: ${e.message}`));
      socket.on('close', () => resolve('closed'));
    });
    expect(outcome).not.toBe('connack');
  });
});
