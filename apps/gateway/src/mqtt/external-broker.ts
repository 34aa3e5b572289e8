import { hostname } from 'node:os';
import type { Db } from '@edgefleet/db/client';
import { TOPIC_ROOT } from '@edgefleet/protocol/device';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { GatewayBroker } from './device-broker.ts';
import { createDeviceSinks, type DeviceSinkOptions } from './device-messages.ts';
import type { Log } from './presence.ts';
import { startRevocationPoller } from './revocation.ts';

export interface ExternalBrokerOptions extends Omit<DeviceSinkOptions, 'log'> {
  db: Db;
  /** `mqtt://host:port` or `mqtts://host:port`. */
  url: string;
  username?: string;
  password?: string;
  /** CA bundle for an `mqtts://` broker. */
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  /** The gateway's persistent session: unique and stable per replica. */
  clientId?: string;
  /** Shared-subscription group; replicas in one group split device messages between them. */
  shareGroup?: string;
  /** The host and port devices are told to use (enrollment answers). */
  devicePort: number;
  log?: Log;
  revocationPollMs?: number;
  /** Called when revocations change (the gateway rewrites the broker's CRL from it). */
  onRevocation?: () => Promise<void>;
}

/** What the gateway consumes: everything a device reports. */
const STREAMS = ['telemetry', 'events', 'state', 'heartbeat', 'status'] as const;
const DEVICE_TOPIC = new RegExp(`^${TOPIC_ROOT}/([^/+#]+)/(${STREAMS.join('|')})$`);

/**
 * Device messages the broker may have delivered to this gateway and not yet had acknowledged
 * (MQTT 5 Receive Maximum). It stays below the ingest buffer, so a fast broker cannot fill it:
 * measured at 65,535 (before the ingest held messages for room), a 10,000 msgs/s load filled the
 * buffer and the gateway had to refuse and reconnect.
 */
const RECEIVE_MAXIMUM = 10_000;
/** How long the broker keeps this gateway's session (and queues its messages) while it is away. */
const SESSION_EXPIRY_S = 7 * 86_400;
/** A device the gateway has cut is cut again if it speaks, at most this often. */
const RECUT_INTERVAL_MS = 5_000;

type PendingAck = { settled: Promise<Error | null>; connection: number };

/**
 * The gateway as a privileged client of an external broker (Mosquitto, EMQX, HiveMQ, AWS IoT
 * Core) instead of hosting one. Device connections, certificates and topic ACLs are the broker's
 * job (see `npm run broker-config`); the gateway:
 *
 * - consumes `$share/<group>/edgefleet/devices/+/<stream>` at QoS 1 with a persistent session, so
 *   N replicas split the fleet's messages and a restarted replica gets what waited for it;
 * - acknowledges telemetry and events to the broker only once their batch has committed, so a
 *   gateway that dies mid-batch leaves them with the broker, which delivers them again (the
 *   (device, seq) key makes the second write a no-op, not a double count);
 * - publishes retained doorbells through the broker;
 * - cuts revoked devices by taking over their client id (MQTT allows one connection per client
 *   id), after the broker's CRL has been rewritten so their reconnect fails the handshake.
 */
export async function startExternalBroker(opts: ExternalBrokerOptions): Promise<GatewayBroker> {
  const { db } = opts;
  const log = opts.log ?? ((m: string) => console.warn(`[mqtt] ${m}`));
  const group = opts.shareGroup ?? 'edgefleet';
  const clientId = opts.clientId ?? `edgefleet-gateway-${hostname()}`.slice(0, 64);
  const sinks = createDeviceSinks({ ...opts, log });
  const { stateIngest, ingest, messages } = sinks;

  const connectOptions: IClientOptions = {
    clientId,
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: SESSION_EXPIRY_S, receiveMaximum: RECEIVE_MAXIMUM },
    username: opts.username,
    password: opts.password,
    ca: opts.caPem,
    cert: opts.certPem,
    key: opts.keyPem,
    rejectUnauthorized: true,
    keepalive: 30,
    // Back before the devices after a broker restart (agents wait at least 0.7 s, then back off):
    // until the gateways have subscribed again, a restarted broker has nobody to deliver to.
    reconnectPeriod: 250,
    connectTimeout: 10_000,
    // Subscribed again on every connect (below), session or not.
    resubscribe: false,
  };
  const client: MqttClient = mqtt.connect(opts.url, connectOptions);
  let lastError: string | null = null;
  client.on('error', (e) => {
    lastError = e.message;
    log(`broker ${opts.url}: ${e.message}`);
  });
  client.on('offline', () => log(`broker ${opts.url} unreachable; reconnecting`));
  // Which connection a message arrived on (see the PUBACK hold below).
  let connection = 0;
  client.on('connect', () => {
    lastError = null;
    connection += 1;
  });
  // Every (re)connect subscribes again, even when the broker says it kept the session: a broker
  // restored from its persistence file may have the session without its shared subscriptions
  // (Mosquitto 2.0.11 does: it restores plain subscriptions and queued messages, but not `$share`
  // ones, so after a restart nothing reached the gateways until they subscribed again).
  // Subscribing to a filter the session already has just replaces it.
  const subscriptions = Object.fromEntries(
    STREAMS.map((s) => [`$share/${group}/${TOPIC_ROOT}/+/${s}`, { qos: 1 as const }]),
  );
  let initial = true;
  client.on('connect', () => {
    if (initial) return; // the first subscription is checked below, before the gateway starts
    client.subscribe(subscriptions, (e) => {
      if (e) log(`resubscribing at ${opts.url} failed: ${e.message}`);
    });
  });

  // Acknowledgement after commit. MQTT.js sends a QoS 1 PUBACK as soon as handleMessage calls
  // back, and reads the next packet only after that, so holding the callback would allow one
  // message in flight per gateway. Instead handleMessage calls back at once, and the PUBACK it
  // triggers is held here until the message's batch has committed; the broker keeps up to its
  // in-flight limit of unacknowledged messages outstanding meanwhile (that limit, not a per-message
  // round trip, paces ingest). A message the ingest refuses (buffer full, shutting down) is never
  // acknowledged: the broker delivers it again after the reconnect that follows.
  const pendingAcks = new Map<number, PendingAck>();
  let reconnectTimer: NodeJS.Timeout | null = null;
  let closing = false;
  const send = (client as unknown as { _sendPacket: SendPacket })._sendPacket.bind(client);
  (client as unknown as { _sendPacket: SendPacket })._sendPacket = (packet, cb, ...rest) => {
    const held = packet.cmd === 'puback' && packet.messageId !== undefined ? pendingAcks.get(packet.messageId) : null;
    if (!held || packet.messageId === undefined) return send(packet, cb, ...rest);
    pendingAcks.delete(packet.messageId);
    cb?.(); // lets MQTT.js read the next packet now
    void held.settled.then((error) => {
      if (error) return refused(error);
      // Only on the connection the message came in on: after a reconnect the broker sends it
      // again, and its old packet id may by then name another message (acknowledging that one
      // before it is stored). Not sent, not lost: the (device, seq) key absorbs the repeat.
      if (held.connection !== connection || !client.connected) return;
      send(packet, undefined, ...rest);
    });
  };
  const refused = (error: Error) => {
    // Unacknowledged messages come back only on a new connection (MQTT never re-sends on a live
    // one), so reconnect once the ingest has had a moment to drain.
    if (reconnectTimer || closing) return;
    log(`ingest refused a message (${error.message}); reconnecting to the broker to get it again`);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      if (!closing) client.stream?.destroy();
    }, 1000);
  };

  const cutAt = new Map<string, number>();
  const revoked = new Set<string>();
  client.handleMessage = (packet, callback) => {
    const match = DEVICE_TOPIC.exec(packet.topic);
    const deviceId = match?.[1];
    const stream = match?.[2] as (typeof STREAMS)[number] | undefined;
    if (!deviceId || !stream) {
      callback();
      return;
    }
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (revoked.has(deviceId)) {
      // Still talking after being cut: the broker let it back in (its CRL not reloaded yet).
      recut(deviceId);
      callback();
      return;
    }
    if ((stream === 'telemetry' || stream === 'events') && packet.qos > 0 && packet.messageId !== undefined) {
      let settle!: (error: Error | null) => void;
      const settled = new Promise<Error | null>((resolve) => {
        settle = resolve;
      });
      pendingAcks.set(packet.messageId, { settled, connection });
      ingest.accept(deviceId, stream, payload, (e) => settle(e ?? null));
      callback();
      return;
    }
    messages.receive(deviceId, stream, payload);
    callback();
  };

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => {
      // Bad credentials or an unknown CA will not fix themselves: stop at start with the reason.
      if (/not authorized|bad user name|certificate|self.signed|unable to verify/i.test(e.message)) {
        client.end(true);
        reject(new Error(`cannot connect to the MQTT broker ${opts.url}: ${e.message}`));
      }
    };
    client.once('error', onError);
    client.once('connect', (connack) => {
      client.off('error', onError);
      // A resumed session keeps its subscriptions; subscribing again is harmless and covers a new one.
      client.subscribe(subscriptions, (e, granted) => {
        if (e) return reject(new Error(`cannot subscribe at ${opts.url}: ${e.message}`));
        const denied = (granted ?? []).filter((g) => g.qos > 2);
        if (denied.length) {
          return reject(
            new Error(`the broker refused ${denied.map((d) => d.topic).join(', ')} (check its ACL for the gateway)`),
          );
        }
        log(
          `consuming device messages from ${opts.url} as ${clientId} in shared group "${group}"` +
            (connack.sessionPresent ? ' (resumed session)' : ''),
        );
        initial = false;
        resolve();
      });
    });
  });

  const recut = (deviceId: string) => {
    const now = Date.now();
    if (now - (cutAt.get(deviceId) ?? 0) < RECUT_INTERVAL_MS) return;
    cutAt.set(deviceId, now);
    void takeOver(opts, connectOptions, deviceId).catch((e: unknown) =>
      log(`could not cut ${deviceId} at the broker: ${e instanceof Error ? e.message : String(e)}`),
    );
  };
  const poller = startRevocationPoller(
    db,
    (r) => {
      const ids = new Set([...r.deviceIds, ...r.serialDeviceIds]);
      // The CRL first, so that the device's reconnect after the cut fails its handshake.
      void (opts.onRevocation?.() ?? Promise.resolve())
        .catch((e: unknown) => log(`CRL not rewritten: ${e instanceof Error ? e.message : String(e)}`))
        .then(() => {
          for (const id of ids) {
            if (r.deviceIds.has(id)) revoked.add(id);
            recut(id);
          }
        });
    },
    log,
    opts.revocationPollMs,
  );

  return {
    port: opts.devicePort,
    connectedDeviceIds: () => [],
    disconnect: (deviceId) => recut(deviceId),
    publish(topic, payload, { retain }) {
      return client.publishAsync(topic, Buffer.from(payload), { qos: 1, retain }).then(() => undefined);
    },
    stateReports: () => stateIngest.counts(),
    ingestStats: () => ingest.snapshot(),
    ingestDegraded: () => ingest.degraded,
    external: () => ({ url: opts.url, clientId, group, connected: client.connected, lastError }),
    async close() {
      closing = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      await poller.stop();
      // Commit what was received, send those PUBACKs, then leave (the session stays at the broker).
      await sinks.close();
      await Promise.all([...pendingAcks.values()].map((p) => p.settled));
      await new Promise((r) => setTimeout(r, 50));
      await client.endAsync(false);
    },
  };
}

type SendPacket = (packet: { cmd: string; messageId?: number }, cb?: () => void, ...rest: unknown[]) => void;

/**
 * Closes a device's connection at the broker: connecting with the device's client id makes the
 * broker drop the older connection (MQTT session takeover). The takeover session is clean and
 * leaves at once; the device's reconnect then meets the broker's CRL.
 */
async function takeOver(opts: ExternalBrokerOptions, base: IClientOptions, deviceId: string): Promise<void> {
  const kicker = await mqtt.connectAsync(opts.url, {
    ...base,
    clientId: deviceId,
    clean: true,
    properties: { sessionExpiryInterval: 0 },
    reconnectPeriod: 0,
  });
  await kicker.endAsync(true);
}
