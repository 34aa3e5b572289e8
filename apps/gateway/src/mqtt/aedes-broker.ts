import type { AddressInfo } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import { type AuditEntry, recordAudit } from '@edgefleet/core/audit';
import { checkDeviceCertificate } from '@edgefleet/core/devices/session';
import type { FleetPki } from '@edgefleet/core/pki';
import type { Db } from '@edgefleet/db/client';
import { topics } from '@edgefleet/protocol/device';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { deviceTopicAllowed } from './acl.ts';
import type { GatewayBroker } from './device-broker.ts';
import { createDeviceSinks, type DeviceSinkOptions, parseStatus } from './device-messages.ts';
import type { Log } from './presence.ts';
import { startRevocationPoller } from './revocation.ts';

export interface AedesBrokerOptions extends Omit<DeviceSinkOptions, 'log'> {
  db: Db;
  pki: FleetPki;
  bind: string;
  port: number;
  log?: Log;
  revocationPollMs?: number;
}

/** The embedded broker: devices connect to this process's own port. */
export type EmbeddedBroker = GatewayBroker;

/** A client that keeps asking for what it may not have is closed after this many refusals. */
const MAX_REFUSALS_PER_CONNECTION = 5;

const NOT_AUTHORIZED = 5;
const SERVER_UNAVAILABLE = 3;

/**
 * The embedded MQTT broker: Aedes behind TLS with client certificates. A client is admitted
 * only if its certificate chains to the fleet CA, the client id is the certificate's CN and
 * the serial passes checkDeviceCertificate; a device may only use its own topics; revoked
 * devices are cut within about a second; presence, heartbeats and state reports reach the
 * database.
 */
export async function startAedesBroker(opts: AedesBrokerOptions): Promise<EmbeddedBroker> {
  const { db } = opts;
  const log = opts.log ?? ((m: string) => console.warn(`[mqtt] ${m}`));
  const sinks = createDeviceSinks({ ...opts, log });
  const { presence, stateIngest, ingest, messages } = sinks;
  const gatewayEvent = (deviceId: string, kind: 'connected' | 'disconnected') =>
    ingest.controlEvent({
      deviceId,
      seq: null,
      ts: new Date(),
      source: 'gateway',
      kind,
      severity: 'info',
      message: kind === 'connected' ? 'connected to the gateway' : 'disconnected from the gateway',
    });
  const serials = new WeakMap<Client, string>();
  const refusals = new WeakMap<Client, number>();
  const live = new Map<string, Client>();

  const audit = (entry: AuditEntry) => {
    recordAudit(db, entry).catch((e: unknown) => log(`audit write failed: ${String(e)}`));
  };
  const ipOf = (client: Client) => (client.conn as Partial<TLSSocket>).remoteAddress ?? null;
  const refuse = (client: Client, action: string, reason: string, detail: Record<string, unknown> = {}) => {
    audit({
      actor: { kind: 'device', deviceId: client.id },
      action,
      target: { type: 'device', id: client.id },
      outcome: 'failure',
      detail: { reason, ...detail },
      ip: ipOf(client),
    });
    const count = (refusals.get(client) ?? 0) + 1;
    refusals.set(client, count);
    if (count >= MAX_REFUSALS_PER_CONNECTION) client.close();
  };

  const broker = await Aedes.createBroker({
    authenticate(client, _username, _password, done) {
      const socket = client.conn as TLSSocket;
      const peer = socket.getPeerCertificate?.();
      const cn = typeof peer?.subject?.CN === 'string' ? peer.subject.CN : undefined;
      const serial = peer?.serialNumber?.toLowerCase();
      // Only a CN from a certificate that verified names a device; otherwise it is a claim.
      const verified = socket.authorized === true;
      const deny = (reason: string, returnCode = NOT_AUTHORIZED) => {
        audit({
          actor: verified && cn ? { kind: 'device', deviceId: cn } : { kind: 'anonymous', label: 'mqtt client' },
          action: 'device.mqtt.connect',
          target: { type: 'device', id: client.id },
          outcome: 'failure',
          detail: { reason, clientId: client.id, certificateCn: cn ?? null, serial: serial ?? null },
          ip: ipOf(client),
        });
        done(Object.assign(new Error(reason), { returnCode }) as AuthenticateError, false);
      };
      if (!cn || !serial) return deny('no client certificate');
      if (!verified) return deny(`certificate not issued by this fleet's CA (${String(socket.authorizationError)})`);
      if (client.id !== cn) return deny(`client id ${client.id} does not match certificate CN ${cn}`);
      checkDeviceCertificate(db, { deviceId: cn, serial }).then(
        (check) => {
          if (!check.ok) return deny(check.reason);
          serials.set(client, serial);
          done(null, true);
        },
        (e: unknown) => {
          log(`certificate check failed: ${String(e)}`);
          deny('certificate check unavailable', SERVER_UNAVAILABLE);
        },
      );
    },
    authorizePublish(client, packet, done) {
      if (!client) return done(null); // the broker's own messages
      if (deviceTopicAllowed(client.id, packet.topic, 'publish')) {
        // Telemetry and events are held here, before Aedes writes the PUBACK (for QoS 1 it acks
        // first and only then runs `published`), until their batch has committed: acknowledged
        // means stored. A refusal (buffer full) passes an error, and Aedes closes the connection
        // (MQTT 3.1.1 has no negative PUBACK): the device keeps the message queued and sends it
        // again after reconnecting. While a message is held Aedes reads no further packets from
        // that connection, so a device cannot outrun the database.
        const stream = ingestStream(client.id, packet.topic);
        if (stream) return ingest.accept(client.id, stream, packet.payload as Buffer, done);
        return done(null);
      }
      refuse(client, 'device.mqtt.publish', 'topic outside the device namespace', { topic: packet.topic });
      // MQTT 3.1.1 has no negative PUBACK: an error makes Aedes close the connection.
      done(new Error(`${client.id} may not publish to ${packet.topic}`));
    },
    authorizeSubscribe(client, sub, done) {
      if (deviceTopicAllowed(client.id, sub.topic, 'subscribe')) return done(null, sub);
      refuse(client, 'device.mqtt.subscribe', 'topic outside the device namespace', { topic: sub.topic });
      done(null, null); // SUBACK 0x80 for this filter
    },
  });

  broker.on('client', (client) => {
    const previous = live.get(client.id);
    if (previous && previous !== client) previous.close(); // a takeover: one connection per device
    live.set(client.id, client);
    presence.connection(client.id, true);
    gatewayEvent(client.id, 'connected');
  });
  broker.on('clientDisconnect', (client) => {
    if (live.get(client.id) !== client) return;
    live.delete(client.id);
    presence.connection(client.id, false);
    ingest.forget(client.id);
    gatewayEvent(client.id, 'disconnected');
  });
  broker.on('publish', (packet, client) => {
    if (!client) return;
    // The ACL has already confined the client to its own namespace, so `client.id` is the device.
    if (packet.topic === topics.state(client.id)) {
      return stateIngest.receive(client.id, Buffer.from(packet.payload));
    }
    if (packet.topic === topics.status(client.id)) return lastWill(client, packet.payload);
    if (packet.topic === topics.heartbeat(client.id)) messages.heartbeat(client.id, packet.payload);
  });

  // The agent's last will, published by the broker when a connection dies without DISCONNECT. The
  // disconnect handler has usually marked the device offline already; the will matters when it
  // arrives first or through another broker. A will from a connection that a newer one replaced
  // must not mark the device offline.
  const lastWill = (client: Client, payload: Buffer | string) => {
    const status = parseStatus(payload);
    if (!status) return log(`malformed status from ${client.id}`);
    const current = live.get(client.id);
    if (!status.online && (current === undefined || current === client)) presence.connection(client.id, false);
  };

  const cutConnection = (client: Client, reason: string) => {
    audit({
      actor: { kind: 'system', label: 'mqtt broker' },
      action: 'device.mqtt.disconnect',
      target: { type: 'device', id: client.id },
      outcome: 'success',
      detail: { reason },
      ip: ipOf(client),
    });
    client.close();
  };
  const poller = startRevocationPoller(
    db,
    (revoked) => {
      for (const [deviceId, client] of live) {
        if (revoked.deviceIds.has(deviceId)) cutConnection(client, 'device no longer accepted');
        else if (revoked.serials.has(serials.get(client) ?? '')) cutConnection(client, 'certificate revoked');
      }
    },
    log,
    opts.revocationPollMs,
  );

  const server = createServer(
    {
      key: opts.pki.gateway.keyPem,
      cert: opts.pki.gateway.certPem + opts.pki.issuingCertPem,
      ca: opts.pki.caChainPem,
      // The handshake completes without a valid certificate so that authenticate() can refuse
      // with CONNACK 5 and record who tried; nothing is served before authenticate() passes.
      requestCert: true,
      rejectUnauthorized: false,
    },
    (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      broker.handle(socket);
    },
  );
  const sockets = new Set<TLSSocket>();
  server.on('tlsClientError', () => {}); // scanners and aborted handshakes: nothing to authenticate yet
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.bind, () => resolve((server.address() as AddressInfo).port));
  });

  return {
    port,
    connectedDeviceIds: () => [...live.keys()],
    disconnect(deviceId) {
      live.get(deviceId)?.close();
    },
    publish(topic, payload, { retain }) {
      return new Promise<void>((resolve, reject) => {
        const packet = {
          cmd: 'publish' as const,
          topic,
          payload: Buffer.from(payload),
          qos: 1 as const,
          retain,
          dup: false,
        };
        broker.publish(packet, (e) => (e ? reject(e) : resolve()));
      });
    },
    stateReports: () => stateIngest.counts(),
    ingestStats: () => ingest.snapshot(),
    ingestDegraded: () => ingest.degraded,
    async close() {
      await poller.stop();
      const closed = new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
      for (const socket of sockets) socket.destroy(); // also those still before CONNECT
      await closed;
      await sinks.close();
    },
  };
}

function ingestStream(deviceId: string, topic: string): 'telemetry' | 'events' | null {
  if (topic === topics.telemetry(deviceId)) return 'telemetry';
  if (topic === topics.events(deviceId)) return 'events';
  return null;
}
