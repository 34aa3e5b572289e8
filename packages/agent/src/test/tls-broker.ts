// An Aedes broker behind mTLS, as the gateway runs it: only clients with a certificate from the
// test CA get in, and the MQTT client id must equal the certificate CN.
import type { AddressInfo, Socket } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import { Aedes } from 'aedes';
import type { TestCa } from './fleet-ca.ts';

export interface Received {
  clientId: string;
  topic: string;
  payload: string;
  serial: string;
}

export interface TlsBroker {
  port: number;
  received: Received[];
  connects: { clientId: string; serial: string }[];
  /** Publishes as the control plane would (QoS 1, retained by default). */
  publish(topic: string, payload: string, retain?: boolean): Promise<void>;
  stop(): Promise<void>;
}

export async function startTlsBroker(ca: TestCa, port = 0): Promise<TlsBroker> {
  const serials = new Map<string, string>();
  const received: Received[] = [];
  const connects: TlsBroker['connects'] = [];
  const broker = await Aedes.createBroker({
    authenticate: (client, _user, _pass, done) => {
      const socket = (client as unknown as { conn: TLSSocket }).conn;
      const cert = socket.getPeerCertificate();
      if (cert.subject?.CN !== client.id) {
        return done(
          Object.assign(new Error('client id must equal the certificate CN'), { returnCode: 5 }) as never,
          false,
        );
      }
      serials.set(client.id, cert.serialNumber.toLowerCase());
      connects.push({ clientId: client.id, serial: cert.serialNumber.toLowerCase() });
      done(null, true);
    },
  });
  broker.on('publish', (packet, client) => {
    if (!client) return;
    received.push({
      clientId: client.id,
      topic: packet.topic,
      payload: packet.payload.toString(),
      serial: serials.get(client.id) ?? '',
    });
  });
  const sockets = new Set<Socket>();
  const server = createServer(
    { key: ca.server.keyPem, cert: ca.server.certPem, ca: ca.chainPem, requestCert: true, rejectUnauthorized: true },
    (socket) => broker.handle(socket),
  );
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    received,
    connects,
    publish: (topic, payload, retain = true) =>
      new Promise<void>((resolve, reject) =>
        broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain, dup: false }, (err) =>
          err ? reject(err) : resolve(),
        ),
      ),
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}
