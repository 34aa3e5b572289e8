// Scale-out on real engines: two gateway processes against one PostgreSQL server, Debian's
// Mosquitto (generated config: mTLS device listener with the fleet CA, CRL and ACL; password
// listener for the gateways) and an S3-compatible server (s3rver) for artifacts.

import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { telemetryMessage } from '@edgefleet/core/health/ingest-testing';
import { revokeDevice } from '@edgefleet/core/identity/devices';
import { type FleetPki, loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { fleetCrlPem, issueBrokerCertificate } from '@edgefleet/core/pki/revoked-serials';
import { type SeededDevice, seedTestDevice } from '@edgefleet/core/pki/testing';
import { createS3ArtifactStore } from '@edgefleet/core/registry/s3-artifact-store';
import { testAdmin } from '@edgefleet/core/registry/testing';
import { loadOrCreateDirectorKey } from '@edgefleet/core/rollouts/director-key';
import { createRollout } from '@edgefleet/core/rollouts/plan';
import { seedPublishedVersion } from '@edgefleet/core/rollouts/testing';
import { createTestDatabase, type TestDatabase, testDatabaseKinds, testPostgresUrl } from '@edgefleet/db/testing';
import { PROTOCOL_VERSION, topics } from '@edgefleet/protocol/device';
import { type TStateReport, ZDesiredNotice } from '@edgefleet/protocol/rollout';
import mqtt, { type MqttClient } from 'mqtt';
// @ts-expect-error s3rver ships no type declarations; the shape used is declared below.
import S3rverModule from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBrokerConfig } from './mosquitto.ts';
import {
  freePort,
  mosquittoInstalled,
  type Running,
  startGatewayProcess,
  startMosquittoWithCrlReload,
  waitForPort,
} from './test-processes.ts';

const S3rver = S3rverModule as new (
  options: Record<string, unknown>,
) => { run(): Promise<AddressInfo>; close(): Promise<void> };

const SECRET = 'replicas-'.repeat(5);
const GATEWAY_USER = 'edgefleet-gateway';
const GATEWAY_PASSWORD = 'replica-test-password';
const BUCKET = 'edgefleet-artifacts';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const postgres = testDatabaseKinds().includes('postgres');
const why = !postgres
  ? `PostgreSQL is not reachable at ${testPostgresUrl}`
  : !mosquittoInstalled()
    ? 'Mosquitto is not installed (/usr/sbin/mosquitto)'
    : null;
// Said out loud: `npm test` prints this line when the engines are missing, instead of passing quietly.
if (why) console.warn(`[replicas] SKIPPED: two gateways behind Mosquitto need real engines: ${why}`);

interface GatewayReplica {
  name: string;
  devicePort: number;
  metricsPort: number;
  proc: Running;
}

/** Reads one unlabelled series from a gateway's Prometheus listener (null if it is down). */
async function metric(g: GatewayReplica, name: string): Promise<number | null> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${g.metricsPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(' ')[1]) : null;
  } catch {
    return null;
  }
}

function httpsJson(port: number, pki: FleetPki, path: string, device?: SeededDevice): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        ca: pki.caChainPem,
        servername: 'localhost',
        ...(device ? { key: device.keyPem, cert: device.certPem } : {}),
      },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () =>
          res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${path}: HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(why !== null)('two gateway replicas behind Mosquitto, on PostgreSQL and S3', () => {
  let t: TestDatabase;
  let pki: FleetPki;
  let dir: string;
  let conf: string;
  let broker: Running;
  let devicePortMqtt: number;
  let s3: { close(): Promise<void> };
  let gatewayEnv: Record<string, string>;
  const gateways: GatewayReplica[] = [];
  const devices: SeededDevice[] = [];
  const clients = new Map<string, MqttClient>();

  // Through the compose file's entrypoint, which sends Mosquitto SIGHUP when the CRL changes.
  const startBroker = async () => {
    broker = startMosquittoWithCrlReload(conf, 1);
    await waitForPort(devicePortMqtt, broker, 'mosquitto');
  };

  const startReplica = async (name: string, ports?: { devicePort: number; metricsPort: number }) => {
    const devicePort = ports?.devicePort ?? (await freePort());
    const metricsPort = ports?.metricsPort ?? (await freePort());
    const proc = startGatewayProcess({
      ...gatewayEnv,
      EDGEFLEET_DATA_DIR: join(dir, name),
      EDGEFLEET_DEVICE_PORT: String(devicePort),
      EDGEFLEET_METRICS_PORT: String(metricsPort),
      EDGEFLEET_MQTT_CLIENT_ID: `edgefleet-gateway-${name}`,
    });
    await waitForPort(devicePort, proc, `gateway ${name}`, 60_000);
    const replica = { name, devicePort, metricsPort, proc };
    const i = gateways.findIndex((g) => g.name === name);
    if (i >= 0) gateways[i] = replica;
    else gateways.push(replica);
    return replica;
  };

  const connectDevice = async (d: SeededDevice) => {
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${devicePortMqtt}`, {
      clientId: d.deviceId,
      protocolVersion: 4,
      clean: true,
      key: d.keyPem,
      cert: d.certPem,
      ca: pki.caChainPem,
      servername: 'localhost',
      // Like the agent, whose first reconnect comes after 0.7-1.3 s (and later ones back off).
      reconnectPeriod: 1000,
      connectTimeout: 5000,
    });
    client.on('error', () => {});
    clients.set(d.deviceId, client);
    return client;
  };

  const telemetryRows = async (ids = devices.map((d) => d.deviceId)) =>
    t.db.telemetrySample.count({ where: { deviceId: { in: ids } } });

  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    pki = await loadOrCreateFleetPki(t.db, { secret: SECRET, publicHost: 'localhost' });
    await loadOrCreateDirectorKey(t.db, { secret: SECRET });
    dir = await mkdtemp(join(tmpdir(), 'ef-replicas-'));

    const s3dir = join(dir, 's3');
    const server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: s3dir,
      configureBuckets: [{ name: BUCKET }],
    });
    const { port: s3Port } = await server.run();
    s3 = server;
    const store = createS3ArtifactStore({
      client: new S3Client({
        endpoint: `http://127.0.0.1:${s3Port}`,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      }),
      bucket: BUCKET,
      prefix: 'fleet',
    });
    await seedPublishedVersion(t.db, { model: 'detector', version: '2.0.0', store });

    devicePortMqtt = await freePort();
    const gatewayPortMqtt = await freePort();
    conf = await writeBrokerConfig(join(dir, 'mosquitto'), {
      caChainPem: pki.caChainPem,
      issuingCertPem: pki.issuingCertPem,
      server: await issueBrokerCertificate(t.db, { secret: SECRET, hosts: ['localhost'] }),
      crlPem: await fleetCrlPem(t.db, { secret: SECRET }),
      devicePort: devicePortMqtt,
      deviceBind: '127.0.0.1',
      gatewayPort: gatewayPortMqtt,
      gatewayBind: '127.0.0.1',
      gatewayUsername: GATEWAY_USER,
      gatewayPassword: GATEWAY_PASSWORD,
      user: userInfo().username,
    });
    await startBroker();

    gatewayEnv = {
      DATABASE_URL: t.url,
      EDGEFLEET_SECRET: SECRET,
      EDGEFLEET_BIND: '127.0.0.1',
      EDGEFLEET_PUBLIC_HOST: 'localhost',
      EDGEFLEET_MQTT_URL: `mqtt://127.0.0.1:${gatewayPortMqtt}`,
      EDGEFLEET_MQTT_USERNAME: GATEWAY_USER,
      EDGEFLEET_MQTT_PASSWORD: GATEWAY_PASSWORD,
      EDGEFLEET_MQTT_CRL_FILE: join(dir, 'mosquitto', 'crl.pem'),
      EDGEFLEET_DEVICE_MQTT_HOST: 'localhost',
      EDGEFLEET_DEVICE_MQTT_PORT: String(devicePortMqtt),
      EDGEFLEET_ARTIFACTS: `s3://${BUCKET}/fleet`,
      EDGEFLEET_S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
      EDGEFLEET_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    };
    await Promise.all([startReplica('a'), startReplica('b')]);
    for (let i = 0; i < 6; i++) devices.push(await seedTestDevice(t.db, pki));
    for (const d of devices) await connectDevice(d);
  });

  afterAll(async () => {
    await Promise.all([...clients.values()].map((c) => c.endAsync(true).catch(() => {})));
    await Promise.all(gateways.map((g) => g.proc.stop()));
    await broker?.stop();
    await s3?.close();
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('splits device telemetry between the replicas and stores every message once', async () => {
    const perDevice = 40;
    await Promise.all(
      devices.map(async (d) => {
        const c = clients.get(d.deviceId) as MqttClient;
        for (let seq = 1; seq <= perDevice; seq++) {
          await c.publishAsync(topics.telemetry(d.deviceId), JSON.stringify(telemetryMessage(seq)), { qos: 1 });
        }
      }),
    );
    await expect.poll(() => telemetryRows(), { timeout: 20_000 }).toBe(devices.length * perDevice);
    const received = await Promise.all(gateways.map((g) => metric(g, 'edgefleet_ingest_received_total')));
    // Both replicas took a share of the shared subscription; neither took it all.
    for (const r of received) expect(r).toBeGreaterThan(0);
    expect((received[0] ?? 0) + (received[1] ?? 0)).toBe(devices.length * perDevice);

    // A device that sends again what it already sent (it never saw the PUBACK) is not counted twice.
    const d = devices[0] as SeededDevice;
    for (let seq = 1; seq <= 10; seq++) {
      await clients.get(d.deviceId)?.publishAsync(topics.telemetry(d.deviceId), JSON.stringify(telemetryMessage(seq)), {
        qos: 1,
      });
    }
    await expect
      .poll(
        async () =>
          (await Promise.all(gateways.map((g) => metric(g, 'edgefleet_ingest_duplicates_total')))).reduce(
            (a, b) => (a ?? 0) + (b ?? 0),
            0,
          ),
        { timeout: 10_000 },
      )
      .toBe(10);
    expect(await telemetryRows()).toBe(devices.length * perDevice);
  });

  it('hands the rollout engine to the other replica when the leader is killed mid-rollout', async () => {
    // Devices play their part: on each doorbell, read the signed instruction and report success.
    const alive = () => gateways.find((g) => g.proc.child.exitCode === null && g.proc.child.signalCode === null);
    for (const d of devices) {
      const c = clients.get(d.deviceId) as MqttClient;
      await c.subscribeAsync(topics.desired(d.deviceId), { qos: 1 });
      c.on('message', (topic, payload) => {
        if (topic !== topics.desired(d.deviceId) || payload.length === 0) return;
        ZDesiredNotice.parse(JSON.parse(payload.toString()));
        void (async () => {
          const g = alive();
          if (!g) return;
          const targets = (await httpsJson(g.devicePort, pki, '/v1/tuf/targets.json', d)) as {
            signed: { version: number; custom: { models: { model: string; version: string; attempt: number }[] } };
          };
          const desired = targets.signed.custom.models.find((m) => m.model === 'detector');
          if (!desired) return;
          const report: TStateReport = {
            v: PROTOCOL_VERSION,
            ts: new Date().toISOString(),
            instructionVersion: targets.signed.version,
            models: [
              {
                model: 'detector',
                serving: { version: desired.version, slot: 'b', since: new Date().toISOString() },
                install: { version: desired.version, step: 'succeeded', attempt: desired.attempt },
              },
            ],
          };
          await c.publishAsync(topics.state(d.deviceId), JSON.stringify(report), { qos: 1 });
        })().catch(() => {});
      });
    }

    await expect
      .poll(async () => (await Promise.all(gateways.map((g) => metric(g, 'edgefleet_engine_leader')))).join(','), {
        timeout: 20_000,
      })
      .toMatch(/^(1,0|0,1)$/);
    const leaderIndex = (await metric(gateways[0] as GatewayReplica, 'edgefleet_engine_leader')) === 1 ? 0 : 1;
    const leader = gateways[leaderIndex] as GatewayReplica;
    const follower = gateways[1 - leaderIndex] as GatewayReplica;

    const { id } = await createRollout({ db: t.db }, testAdmin, {
      model: 'detector',
      version: '2.0.0',
      selector: { kind: 'devices', deviceIds: devices.map((d) => d.deviceId) },
      strategy: {
        kind: 'phases',
        phases: [
          { percent: 34, soakSeconds: 3 },
          { percent: 100, soakSeconds: 0 },
        ],
      },
    });
    const succeeded = () => t.db.rolloutDevice.count({ where: { rolloutId: id, state: 'succeeded' } });
    // The first phase (2 of 6 devices) completes under the first leader...
    await expect.poll(succeeded, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    expect(await succeeded()).toBeLessThan(devices.length);
    // ...which then dies without any chance to clean up.
    await leader.proc.stop('SIGKILL');
    await expect.poll(() => metric(follower, 'edgefleet_engine_leader'), { timeout: 20_000 }).toBe(1);
    const ticks = (await metric(follower, 'edgefleet_engine_ticks_total')) ?? 0;
    await expect
      .poll(() => metric(follower, 'edgefleet_engine_ticks_total'), { timeout: 10_000 })
      .toBeGreaterThan(ticks);
    // Its supervisor restarts it with the same session id: the device reports the broker queued
    // for that session while it was down are delivered to it, not lost.
    await startReplica(leader.name, leader);
    await expect
      .poll(async () => (await t.db.rollout.findUniqueOrThrow({ where: { id } })).status, { timeout: 60_000 })
      .toBe('completed');
    const states = await t.db.rolloutDevice.groupBy({ by: ['state'], where: { rolloutId: id }, _count: true });
    expect(Object.fromEntries(states.map((s) => [s.state, s._count]))).toEqual({ succeeded: devices.length });
    // The new leader keeps the lead; the restarted replica follows.
    expect(await metric(follower, 'edgefleet_engine_leader')).toBe(1);
    expect(await metric(gateways[leaderIndex] as GatewayReplica, 'edgefleet_engine_leader')).toBe(0);
  });

  it('rides out a 30 s broker outage: devices and gateways reconnect, nothing acknowledged before it is lost', {
    timeout: 150_000,
  }, async () => {
    const stored = async () => {
      const rows = await t.db.telemetrySample.findMany({
        where: { deviceId: { in: devices.map((d) => d.deviceId) }, seq: { gte: 1000 } },
        select: { deviceId: true, seq: true },
      });
      return new Set(rows.map((r) => `${r.deviceId}:${r.seq}`));
    };
    const missing = async (keys: Set<string>) => {
      const have = await stored();
      return [...keys].filter((k) => !have.has(k));
    };
    let seq = 1000;
    const publishOne = (d: SeededDevice, into: Set<string>) => {
      const s = seq++;
      return (clients.get(d.deviceId) as MqttClient)
        .publishAsync(topics.telemetry(d.deviceId), JSON.stringify(telemetryMessage(s)), { qos: 1 })
        .then(
          () => into.add(`${d.deviceId}:${s}`),
          () => {},
        );
    };
    // Each device publishes steadily; a message counts once the broker has acknowledged it.
    const beforeOutage = new Set<string>();
    for (let round = 0; round < 8; round++) {
      await Promise.all(devices.map((d) => publishOne(d, beforeOutage)));
      await sleep(250);
    }
    // Stopped at once, while the last of those may still be on their way to a gateway: the
    // broker's persistence keeps them for the gateways' sessions.
    await broker.stop();
    expect(beforeOutage.size).toBe(devices.length * 8);
    const during = new Set<string>();
    // Published while the broker is down: queued by each device, sent when it reconnects.
    for (const d of devices) void publishOne(d, during);
    await sleep(30_000);
    await startBroker();

    // Every device is back, and so is each gateway's connection to the broker.
    for (const c of clients.values()) await expect.poll(() => c.connected, { timeout: 20_000 }).toBe(true);
    for (const g of gateways) {
      await expect.poll(() => metric(g, 'edgefleet_mqtt_external_connected'), { timeout: 20_000 }).toBe(1);
    }
    // Everything the broker acknowledged before it stopped is stored, each once.
    await expect.poll(() => missing(beforeOutage), { timeout: 30_000 }).toEqual([]);
    // And the path works end to end again.
    const after = new Set<string>();
    for (let round = 0; round < 4; round++) await Promise.all(devices.map((d) => publishOne(d, after)));
    await expect.poll(() => missing(after), { timeout: 30_000 }).toEqual([]);
    // Sent from the devices' queues as they reconnected: Mosquitto 2.0.11 does not restore shared
    // subscriptions from persistence, so a message that beat the gateways' resubscription had
    // nobody to go to (docs/deploy.md). Reported, not hidden.
    console.log(
      `[replicas] queued during the outage: ${during.size} acknowledged, ${(await missing(during)).length} lost`,
    );
  });

  it('cuts a revoked device at the broker and keeps it out', async () => {
    const d = devices.at(-1) as SeededDevice;
    const c = clients.get(d.deviceId) as MqttClient;
    expect(c.connected).toBe(true);
    c.options.reconnectPeriod = 0;
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    await revokeDevice(t.db, testAdmin, d.deviceId);
    // A gateway takes the device's client id over: the broker closes its connection.
    await closed;
    clients.delete(d.deviceId);
    const reconnect = () =>
      mqtt
        .connectAsync(`mqtts://127.0.0.1:${devicePortMqtt}`, {
          clientId: d.deviceId,
          key: d.keyPem,
          cert: d.certPem,
          ca: pki.caChainPem,
          servername: 'localhost',
          reconnectPeriod: 0,
          connectTimeout: 5000,
        })
        .then(
          async (again) => {
            await again.endAsync(true);
            return 'connected';
          },
          (e: Error) => e.message,
        );
    // The gateways rewrote the CRL; the broker's entrypoint reloads it within a poll (1 s here).
    await expect.poll(reconnect, { timeout: 15_000, interval: 500 }).not.toBe('connected');
    for (let i = 0; i < 3; i++) expect(await reconnect()).not.toBe('connected');
  });
});
