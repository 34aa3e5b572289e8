import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { findRepoRoot } from '@edgefleet/config/env';
import { checkDeviceCertificate } from '@edgefleet/core/devices/session';
import { type FleetPki, loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { makeTestCsr, makeTestKey } from '@edgefleet/core/pki/testing';
import type { Db } from '@edgefleet/db/client';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '@edgefleet/db/testing';
import { Aedes, type AuthenticateError } from 'aedes';
import { deviceTopicAllowed } from '../../apps/gateway/src/mqtt/acl.ts';
import { startGateway } from '../../apps/gateway/src/server.ts';
import { type BenchResult, type Measurement, median } from './lib.ts';
import type { LoadConfig, LoadResult } from './telemetry-load.ts';

const root = findRepoRoot();

export interface Fleet {
  database: TestDatabase;
  pki: FleetPki;
  keyPem: string;
  devices: { id: string; certPem: string }[];
}

/**
 * `count` accepted devices, each with its own certificate (CN = device id) from the fleet PKI.
 * One key pair for all: generating 1,000 RSA keys would take minutes and the handshake cost is
 * the same. The device rows carry placeholder public keys (the column is unique).
 */
export async function seedFleet(kind: TestDatabaseKind, count: number): Promise<Fleet> {
  const database = await createTestDatabase(kind);
  const pki = await loadOrCreateFleetPki(database.db, { secret: 'b'.repeat(40), publicHost: 'localhost' });
  const key = makeTestKey();
  const csrPem = makeTestCsr(key);
  const devices: Fleet['devices'] = [];
  const certRows: { serial: string; deviceId: string; pem: string; notBefore: Date; notAfter: Date }[] = [];
  for (let i = 0; i < count; i++) {
    const id = `dev_bench${String(i).padStart(6, '0')}`;
    const cert = pki.issueDeviceCertificate({ csrPem, deviceId: id, validityDays: 2 });
    devices.push({ id, certPem: cert.pem });
    certRows.push({
      serial: cert.serial,
      deviceId: id,
      pem: cert.pem,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
    });
  }
  const db: Db = database.db;
  await db.device.createMany({
    data: devices.map((d) => ({ id: d.id, name: d.id, status: 'accepted', facts: {}, publicKeyPem: `pk-${d.id}` })),
  });
  await db.deviceCertificate.createMany({ data: certRows });
  return { database, pki, keyPem: key.keyPem, devices };
}

export function runLoad(
  fleet: Fleet,
  port: number,
  o: Pick<LoadConfig, 'mode' | 'rate' | 'window' | 'warmupSeconds' | 'seconds'>,
) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  const file = join(dir, 'load.json');
  const config: LoadConfig = {
    port,
    caChainPem: fleet.pki.caChainPem,
    keyPem: fleet.keyPem,
    devices: fleet.devices,
    ...o,
  };
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  return new Promise<LoadResult>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/bench/telemetry-load.ts'), file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => {
      rmSync(dir, { recursive: true, force: true });
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{'))
        return reject(new Error(`load generator failed (${code}): ${err || out}`));
      resolve(JSON.parse(line) as LoadResult);
    });
  });
}

type IngestRunResult = LoadResult & { rejectedFull: number; held: number };

/** The gateway, ingest and all, on the fleet's database. Returns what the load generator measured. */
async function ingestRun(
  fleet: Fleet,
  load: Parameters<typeof runLoad>[2],
  unlimited: boolean,
): Promise<IngestRunResult> {
  const { db } = fleet.database;
  await db.$executeRawUnsafe('TRUNCATE telemetry_samples, inference_samples');
  const gw = await startGateway({
    db,
    pki: fleet.pki,
    bind: '127.0.0.1',
    devicePort: 0,
    mqttPort: 0,
    checkDatabase: async () => {},
    log: () => {},
    // The saturation run lifts the per-device rate limit (1,000 devices cannot reach the ceiling at 10/s each).
    ingest: unlimited ? { ratePerSecond: 1e6, rateBurst: 1e6 } : undefined,
  });
  try {
    const result = await runLoad(fleet, gw.mqttPort, load);
    const rows = await db.telemetrySample.count();
    const stats = gw.ingestStats();
    // Acknowledged ⇒ stored: every PUBACK the load generator saw has its row.
    if (rows < result.acked) throw new Error(`${result.acked} acknowledged but ${rows} rows`);
    if (stats.rateLimited + stats.invalid.schema > 0) throw new Error(`messages dropped: ${JSON.stringify(stats)}`);
    // Held for room in a full buffer, and refused beyond the hold queue (not acknowledged; the
    // device would send it again): reported.
    return { ...result, rejectedFull: stats.rejectedFull, held: stats.held };
  } finally {
    await gw.close();
  }
}

/**
 * The ceiling: the same Aedes, TLS and certificate checks (chain, CN = client id, the database
 * check of the serial, the topic ACL), delivering every telemetry message to a subscriber that
 * does nothing. No validation, no buffer, no database writes; the PUBACK goes out at once.
 */
async function referenceRun(fleet: Fleet, load: Parameters<typeof runLoad>[2]) {
  const { db } = fleet.database;
  const broker = await Aedes.createBroker({
    authenticate(client, _u, _p, done) {
      const socket = client.conn as TLSSocket;
      const peer = socket.getPeerCertificate?.();
      const cn = typeof peer?.subject?.CN === 'string' ? peer.subject.CN : undefined;
      const fail = () => done(Object.assign(new Error('refused'), { returnCode: 5 }) as AuthenticateError, false);
      if (!cn || socket.authorized !== true || client.id !== cn) return fail();
      checkDeviceCertificate(db, { deviceId: cn, serial: peer.serialNumber.toLowerCase() }).then(
        (c) => (c.ok ? done(null, true) : fail()),
        fail,
      );
    },
    authorizePublish(client, packet, done) {
      done(client && !deviceTopicAllowed(client.id, packet.topic, 'publish') ? new Error('refused') : null);
    },
  });
  let delivered = 0;
  broker.subscribe(
    'edgefleet/devices/+/telemetry',
    (_packet, cb) => {
      delivered++;
      cb();
    },
    () => {},
  );
  const server = createServer(
    {
      key: fleet.pki.gateway.keyPem,
      cert: fleet.pki.gateway.certPem + fleet.pki.issuingCertPem,
      ca: fleet.pki.caChainPem,
      requestCert: true,
      rejectUnauthorized: false,
    },
    (socket) => broker.handle(socket),
  );
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
  try {
    const result = await runLoad(fleet, port, load);
    if (delivered < result.acked) throw new Error(`${result.acked} acknowledged but ${delivered} delivered`);
    return result;
  } finally {
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  }
}

export const telemetryIngest = {
  name: 'telemetry ingest',
  async run({ smoke, runs: runsWanted }: { smoke: boolean; runs?: number }): Promise<BenchResult> {
    const devices = smoke ? 20 : 1000;
    const rate = smoke ? 400 : 10_000;
    const seconds = smoke ? 2 : 15;
    const warmupSeconds = smoke ? 1 : 3;
    const runs = runsWanted ?? (smoke ? 1 : 3);
    const window = 8; // like the agent: at most 8 unacknowledged per device
    const fleet = await seedFleet('postgres', devices);
    try {
      const fixed: IngestRunResult[] = [];
      const saturated: IngestRunResult[] = [];
      const reference: LoadResult[] = [];
      for (let i = 0; i < runs; i++) {
        fixed.push(await ingestRun(fleet, { mode: 'fixed', rate, window, warmupSeconds, seconds }, false));
        saturated.push(await ingestRun(fleet, { mode: 'max', rate, window, warmupSeconds, seconds }, true));
        reference.push(await referenceRun(fleet, { mode: 'max', rate, window, warmupSeconds, seconds }));
      }
      const label = `${devices.toLocaleString('en-US')} devices`;
      const measurements: Measurement[] = [
        {
          name: `ingest at ${rate.toLocaleString('en-US')} msgs/s offered, ${label}, PostgreSQL: acknowledged (= committed)`,
          unit: 'msgs/s',
          runs: fixed.map((r) => r.ackedPerSecond),
        },
        { name: 'p50 lag publish → committed (PUBACK)', unit: 'ms', runs: fixed.map((r) => r.p50Ms) },
        { name: 'p99 lag publish → committed (PUBACK)', unit: 'ms', runs: fixed.map((r) => r.p99Ms) },
        {
          name: `ingest saturated, ${label}, ${window} in flight each, PostgreSQL`,
          unit: 'msgs/s',
          runs: saturated.map((r) => r.ackedPerSecond),
        },
        { name: 'p99 lag saturated', unit: 'ms', runs: saturated.map((r) => r.p99Ms) },
      ];
      return {
        title: `Telemetry ingest: MQTT publish → row committed, ${label} over mTLS`,
        command: 'npm run bench',
        measurements,
        reference: {
          name: `broker alone (Aedes + TLS + certificate checks) to a no-op subscriber, saturated, ${label}`,
          unit: 'msgs/s',
          runs: reference.map((r) => r.ackedPerSecond),
        },
        ratioOf: measurements[3]?.name,
        notes: [
          `Load generator: a separate Node process with ${label} (mqtt.js, MQTT 3.1.1, QoS 1, one client certificate each), publishing valid ZTelemetry (two inference windows, ~1 KB); ${seconds} s measured after ${warmupSeconds} s of warm-up; median of ${runs} runs.`,
          'Lag is publish → PUBACK as the device sees it: the gateway holds the PUBACK until the batch holding the message committed, so an acknowledged message is a queryable row (the run checks the row count).',
          'Saturated: every device keeps 8 messages unacknowledged (like the agent) and sends the next on each PUBACK; the per-device rate limit is lifted for that run only (the fixed-rate run keeps the default 10/s, burst 60).',
          `Fixed rate: each device keeps at most ${window} unacknowledged, like the agent; a message due while its window is full waits in the device's queue and its lag counts from when it was due. Messages that waited there per run: ${fixed.map((r) => r.backlogged).join(', ')}.`,
          `Messages that waited for room in a full ingest buffer (unacknowledged) per run: fixed rate ${fixed.map((r) => r.held).join(', ')}; saturated ${saturated.map((r) => r.held).join(', ')}. Refused beyond the hold queue (connection closed, the device sends them again): fixed ${fixed.map((r) => r.rejectedFull).join(', ')}; saturated ${saturated.map((r) => r.rejectedFull).join(', ')}.`,
          `Median connect time for ${label}: ${median(fixed.map((r) => r.connectSeconds)).toFixed(1)} s. Gateway, load generator and PostgreSQL share this machine's cores.`,
        ],
      };
    } finally {
      await fleet.database.close();
    }
  },
};

/**
 * The same path at fleet scale: 10,000 devices, each with its own certificate and connection,
 * each sending one message a second (10,000 msgs/s offered, the rate limit untouched), against
 * the broker alone carrying the same load.
 */
export const telemetryIngestAtScale = {
  name: 'telemetry ingest at 10k devices',
  async run({ smoke, runs: runsWanted }: { smoke: boolean; runs?: number }): Promise<BenchResult> {
    const devices = smoke ? 50 : 10_000;
    const rate = devices; // one message per device per second
    const seconds = smoke ? 2 : 10;
    const warmupSeconds = smoke ? 1 : 3;
    // Two runs: each connects 10,000 TLS clients twice (gateway, then the bare broker), minutes apiece.
    const runs = runsWanted ?? (smoke ? 1 : 2);
    const load = { mode: 'fixed' as const, rate, window: 8, warmupSeconds, seconds };
    const fleet = await seedFleet('postgres', devices);
    try {
      const gateway: IngestRunResult[] = [];
      const reference: LoadResult[] = [];
      for (let i = 0; i < runs; i++) {
        gateway.push(await ingestRun(fleet, load, false));
        reference.push(await referenceRun(fleet, load));
      }
      const label = `${devices.toLocaleString('en-US')} devices`;
      const measurements: Measurement[] = [
        {
          name: `ingest at ${rate.toLocaleString('en-US')} msgs/s offered (1/s per device), ${label}: acknowledged (= committed)`,
          unit: 'msgs/s',
          runs: gateway.map((r) => r.ackedPerSecond),
        },
        { name: 'p50 lag publish → committed (PUBACK)', unit: 'ms', runs: gateway.map((r) => r.p50Ms) },
        { name: 'p99 lag publish → committed (PUBACK)', unit: 'ms', runs: gateway.map((r) => r.p99Ms) },
        { name: 'reference p99 publish → PUBACK, broker alone', unit: 'ms', runs: reference.map((r) => r.p99Ms) },
        { name: `connect ${label} over mTLS (gateway)`, unit: 's', runs: gateway.map((r) => r.connectSeconds) },
        {
          name: `reference connect ${label} over mTLS, broker alone`,
          unit: 's',
          runs: reference.map((r) => r.connectSeconds),
        },
      ];
      return {
        title: `Telemetry ingest at fleet scale: MQTT publish → row committed, ${label} over mTLS`,
        command: 'npm run bench',
        measurements,
        reference: {
          name: `broker alone (Aedes + TLS + certificate checks) to a no-op subscriber, same offered load, ${label}`,
          unit: 'msgs/s',
          runs: reference.map((r) => r.ackedPerSecond),
        },
        ratioOf: measurements[0]?.name,
        notes: [
          `Load generator: one Node process holding ${label}, each its own client certificate and MQTT connection, publishing round-robin at ${rate.toLocaleString('en-US')} msgs/s in total for ${seconds} s after ${warmupSeconds} s of warm-up, each device with at most 8 unacknowledged like the agent (the rest wait in its queue; lag counts from when a message was due); median of ${runs} runs. The per-device rate limit is the default (10/s, burst 60).`,
          'A ratio of 1 means the gateway keeps up with everything the bare broker keeps up with at this fleet size; the lag rows show what the database batch adds. Connecting includes the TLS handshake and the certificate check against the database in both; the gateway also records each device online and a connected event.',
          `Messages that waited in a device's queue (window full) per run: ${gateway.map((r) => r.backlogged).join(', ')}; that waited for room in a full ingest buffer: ${gateway.map((r) => r.held).join(', ')}; refused beyond the hold queue: ${gateway.map((r) => r.rejectedFull).join(', ')}.`,
          "Gateway, load generator (10,000 TLS clients) and PostgreSQL share this machine's 2 cores, so the reference too is near its limit here.",
        ],
      };
    } finally {
      await fleet.database.close();
    }
  },
};
