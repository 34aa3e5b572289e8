import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FleetPki } from '@edgefleet/core/pki';
import type { Clock } from '@edgefleet/core/tokens';
import type { Db } from '@edgefleet/db/client';
import { createDeviceHttpHandler } from './http/router.ts';
import { startAedesBroker } from './mqtt/aedes-broker.ts';

export interface GatewayOptions {
  db: Db;
  pki: FleetPki;
  bind: string;
  devicePort: number;
  mqttPort: number;
  /** Readiness of what the gateway depends on (the database); reported by /healthz. */
  checkDatabase: () => Promise<void>;
  clock?: Clock;
  /** How often the broker looks for revocations to cut live connections (ms). */
  revocationPollMs?: number;
}

export interface Gateway {
  devicePort: number;
  mqttPort: number;
  connectedDeviceIds(): string[];
  close(): Promise<void>;
}

/**
 * The device-facing process: HTTPS for enrollment and renewal, and the MQTT broker, both with
 * the gateway certificate from the fleet PKI. HTTPS asks for a client certificate but lets the
 * handshake finish without one (enrollment happens before a device has one); routes that need
 * identity check `socket.authorized` themselves. MQTT refuses the handshake without one.
 */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const broker = await startAedesBroker({
    db: opts.db,
    pki: opts.pki,
    bind: opts.bind,
    port: opts.mqttPort,
    revocationPollMs: opts.revocationPollMs,
  });
  const devices = createDeviceHttpHandler({ db: opts.db, pki: opts.pki, clock: opts.clock });

  const https = createHttpsServer(
    {
      key: opts.pki.gateway.keyPem,
      cert: opts.pki.gateway.certPem + opts.pki.issuingCertPem,
      ca: opts.pki.caChainPem,
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      if (req.method === 'GET' && req.url === '/healthz') return healthz(opts, broker.connectedDeviceIds().length, res);
      devices(req, res);
    },
  );
  https.on('tlsClientError', () => {}); // a client that gives up mid-handshake is not our error

  const devicePort = await new Promise<number>((resolve, reject) => {
    https.once('error', reject);
    https.listen(opts.devicePort, opts.bind, () => resolve((https.address() as AddressInfo).port));
  }).catch(async (e: unknown) => {
    await broker.close();
    throw e;
  });
  return {
    devicePort,
    mqttPort: broker.port,
    connectedDeviceIds: () => broker.connectedDeviceIds(),
    async close() {
      const closed = new Promise<void>((r) => https.close(() => r()));
      https.closeAllConnections();
      await Promise.all([closed, broker.close()]);
    },
  };
}

function healthz(opts: GatewayOptions, clients: number, res: ServerResponse<IncomingMessage>) {
  opts.checkDatabase().then(
    () => json(res, 200, { status: 'ok', mqtt: { clients } }),
    (e: unknown) => json(res, 503, { status: 'unavailable', error: e instanceof Error ? e.message : String(e) }),
  );
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
