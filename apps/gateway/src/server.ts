import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { Aedes } from 'aedes';
import type { TlsIdentity } from './tls-identity.ts';

export interface GatewayOptions {
  identity: TlsIdentity;
  bind: string;
  devicePort: number;
  mqttPort: number;
  /** Readiness of what the gateway depends on (the database); reported by /healthz. */
  checkDatabase: () => Promise<void>;
}

export interface Gateway {
  devicePort: number;
  mqttPort: number;
  close(): Promise<void>;
}

const listen = (server: HttpsServer | TlsServer, port: number, host: string) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });

/**
 * The device-facing process: HTTPS (enrollment and artifacts later) and an MQTT broker over
 * TLS. Until device identity exists no client certificate can verify and the broker accepts
 * no one: the safe default.
 */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const broker = await Aedes.createBroker({
    authenticate: (_client, _user, _pass, done) => {
      const err = Object.assign(new Error('device identity is not configured'), { returnCode: 5 });
      done(err as Parameters<typeof done>[0], false);
    },
  });
  const mqtt = createTlsServer(
    {
      key: opts.identity.key,
      cert: opts.identity.cert,
      requestCert: true,
      rejectUnauthorized: true,
      ca: [opts.identity.cert],
    },
    (socket) => broker.handle(socket),
  );
  mqtt.on('tlsClientError', () => {}); // unauthenticated clients are refused at TLS; not an error of ours

  const https = createHttpsServer({ key: opts.identity.key, cert: opts.identity.cert }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://gateway');
    if (req.method === 'GET' && url.pathname === '/healthz') {
      opts.checkDatabase().then(
        () => json(res, 200, { status: 'ok', mqtt: { clients: broker.connectedClients } }),
        (e: unknown) => json(res, 503, { status: 'unavailable', error: e instanceof Error ? e.message : String(e) }),
      );
      return;
    }
    json(res, 404, { error: 'not_found', message: `No route for ${req.method} ${url.pathname}` });
  });

  const devicePort = await listen(https, opts.devicePort, opts.bind);
  const mqttPort = await listen(mqtt, opts.mqttPort, opts.bind);
  return {
    devicePort,
    mqttPort,
    async close() {
      https.closeAllConnections();
      await Promise.all([
        new Promise<void>((r) => https.close(() => r())),
        new Promise<void>((r) => mqtt.close(() => r())),
        new Promise<void>((r) => broker.close(() => r())),
      ]);
    },
  };
}

function json(res: import('node:http').ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
