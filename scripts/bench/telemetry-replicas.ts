/**
 * Ingest through an external broker (Debian's Mosquitto, the generated config) with one and with
 * two gateway replicas splitting a shared subscription, each in its own process, on PostgreSQL.
 * End to end means a row committed: throughput and lag are read from the rows themselves
 * (`receivedAt` is stamped at commit, `ts` at publish), since the device's PUBACK here comes from
 * the broker, not from the database.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { findRepoRoot } from '@edgefleet/config/env';
import { fleetCrlPem, issueBrokerCertificate } from '@edgefleet/core/pki/revoked-serials';
import mqtt from 'mqtt';
import { writeBrokerConfig } from '../../apps/gateway/src/mosquitto.ts';
import {
  freePort,
  mosquittoInstalled,
  type Running,
  run,
  startMosquitto,
  waitForPort,
} from '../../apps/gateway/src/test-processes.ts';
import type { GatewayProcessConfig } from './gateway-process.ts';
import type { BenchResult, Measurement } from './lib.ts';
import { type Fleet, runLoad, seedFleet } from './telemetry-ingest.ts';

const root = findRepoRoot();
const SECRET = 'b'.repeat(40); // seedFleet's
const USER = 'edgefleet-gateway';
const PASSWORD = 'bench-gateway-password';

interface ReplicaRun {
  committedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  acked: number;
  rows: number;
}

async function startReplica(fleet: Fleet, mqttUrl: string, clientId: string, dir: string): Promise<Running> {
  const file = join(dir, `${clientId}.json`);
  const config: GatewayProcessConfig = {
    databaseUrl: fleet.database.url,
    secret: SECRET,
    mqttUrl,
    username: USER,
    password: PASSWORD,
    clientId,
  };
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  const proc = run(
    process.execPath,
    ['--import', 'tsx', join(root, 'scripts/bench/gateway-process.ts'), file],
    undefined,
    root,
  );
  const deadline = Date.now() + 60_000;
  while (!proc.output().includes('ready')) {
    if (proc.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`gateway replica failed:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return proc;
}

/** Ends a replica's persistent session, so the next run's shared group holds only live members. */
async function dropSession(mqttUrl: string, clientId: string) {
  const c = await mqtt.connectAsync(mqttUrl, {
    clientId,
    username: USER,
    password: PASSWORD,
    protocolVersion: 5,
    clean: true,
    properties: { sessionExpiryInterval: 0 },
    reconnectPeriod: 0,
  });
  await c.endAsync();
}

async function replicaRun(
  fleet: Fleet,
  replicas: number,
  ports: { device: number; mqttUrl: string },
  load: { rate: number; seconds: number; warmupSeconds: number },
  dir: string,
): Promise<ReplicaRun> {
  const { db } = fleet.database;
  await db.$executeRawUnsafe('TRUNCATE telemetry_samples, inference_samples');
  const ids = Array.from({ length: replicas }, (_, i) => `bench-gateway-${i}`);
  const procs = await Promise.all(ids.map((id) => startReplica(fleet, ports.mqttUrl, id, dir)));
  try {
    const result = await runLoad(fleet, ports.device, { mode: 'fixed', window: 8, ...load });
    // Wait for the backlog the broker holds to drain into the database.
    let rows = 0;
    for (let stable = 0, last = -1; stable < 4; ) {
      await new Promise((r) => setTimeout(r, 500));
      rows = await db.telemetrySample.count();
      stable = rows === last ? stable + 1 : 0;
      last = rows;
    }
    if (rows < result.acked) {
      const logs = procs.map(
        (p, i) => `${ids[i]} (exit ${p.child.exitCode ?? 'running'}):\n${p.output().slice(-3000)}`,
      );
      throw new Error(`${result.acked} acknowledged by the broker but ${rows} rows\n${logs.join('\n')}`);
    }
    // The middle 80 % of commits (by commit time) gives the sustained rate without ramp-up and drain.
    const [stats] = await db.$queryRawUnsafe<{ t10: number; t90: number; p50: number; p99: number }[]>(`
      SELECT
        percentile_cont(0.1) WITHIN GROUP (ORDER BY extract(epoch FROM "receivedAt")) AS t10,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM "receivedAt")) AS t90,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM "receivedAt" - ts)) AS p50,
        percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM "receivedAt" - ts)) AS p99
      FROM telemetry_samples`);
    if (!stats) throw new Error('no rows');
    // The load generator stamps `ts` when it publishes (to within 50 ms).
    return {
      committedPerSecond: (0.8 * rows) / Math.max(0.001, Number(stats.t90) - Number(stats.t10)),
      p50Ms: Math.max(0, Number(stats.p50) * 1000),
      p99Ms: Math.max(0, Number(stats.p99) * 1000),
      acked: result.acked,
      rows,
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    for (const id of ids) await dropSession(ports.mqttUrl, id);
  }
}

export const telemetryReplicas = {
  name: 'telemetry ingest through an external broker, 1 and 2 gateway replicas',
  async run({ smoke, runs: runsWanted }: { smoke: boolean; runs?: number }): Promise<BenchResult> {
    if (!mosquittoInstalled())
      throw new Error('Mosquitto is not installed (/usr/sbin/mosquitto): apt-get install mosquitto');
    const devices = smoke ? 20 : 1000;
    // A fixed offered load (10/s per device, the agent's rate limit) rather than a saturating one:
    // the broker acknowledges devices at once, so a load above what the gateways commit would
    // only measure how much Mosquitto queues (and, past max_queued_messages, drops).
    const load = { rate: smoke ? 200 : 5_000, seconds: smoke ? 2 : 15, warmupSeconds: smoke ? 1 : 3 };
    const runs = runsWanted ?? (smoke ? 1 : 3);
    const fleet = await seedFleet('postgres', devices);
    const dir = mkdtempSync(join(tmpdir(), 'bench-replicas-'));
    let broker: Running | undefined;
    try {
      const device = await freePort();
      const control = await freePort();
      const conf = await writeBrokerConfig(join(dir, 'mosquitto'), {
        caChainPem: fleet.pki.caChainPem,
        issuingCertPem: fleet.pki.issuingCertPem,
        server: await issueBrokerCertificate(fleet.database.db, { secret: SECRET, hosts: ['localhost'] }),
        crlPem: await fleetCrlPem(fleet.database.db, { secret: SECRET }),
        devicePort: device,
        deviceBind: '127.0.0.1',
        gatewayPort: control,
        gatewayBind: '127.0.0.1',
        gatewayUsername: USER,
        gatewayPassword: PASSWORD,
        user: userInfo().username,
      });
      broker = startMosquitto(conf);
      await waitForPort(device, broker, 'mosquitto');
      const ports = { device, mqttUrl: `mqtt://127.0.0.1:${control}` };
      const one: ReplicaRun[] = [];
      const two: ReplicaRun[] = [];
      for (let i = 0; i < runs; i++) {
        one.push(await replicaRun(fleet, 1, ports, load, dir));
        two.push(await replicaRun(fleet, 2, ports, load, dir));
      }
      const label = `${devices.toLocaleString('en-US')} devices`;
      const measurements: Measurement[] = [
        {
          name: `2 gateway replicas, ${label}, ${load.rate.toLocaleString('en-US')} msgs/s offered: committed`,
          unit: 'msgs/s',
          runs: two.map((r) => r.committedPerSecond),
        },
        { name: '2 replicas: p50 lag publish → committed', unit: 'ms', runs: two.map((r) => r.p50Ms) },
        { name: '2 replicas: p99 lag publish → committed', unit: 'ms', runs: two.map((r) => r.p99Ms) },
        { name: '1 replica: p99 lag publish → committed', unit: 'ms', runs: one.map((r) => r.p99Ms) },
      ];
      return {
        title: `Telemetry ingest through Mosquitto with gateway replicas (shared subscription), ${label} over mTLS`,
        command: 'npm run bench',
        measurements,
        reference: {
          name: `1 gateway replica, ${label}, ${load.rate.toLocaleString('en-US')} msgs/s offered: committed`,
          unit: 'msgs/s',
          runs: one.map((r) => r.committedPerSecond),
        },
        ratioOf: measurements[0]?.name,
        notes: [
          `Debian's Mosquitto 2.0 with the generated config (device listener: mTLS, fleet CA, CRL, ACL; gateway listener: password). Each replica is its own process subscribed to \`$share/edgefleet/edgefleet/devices/+/…\` with a persistent session; it acknowledges a message to the broker only once its batch has committed.`,
          `Load: the ingest benchmark's generator (${label}, QoS 1) offering ${load.rate.toLocaleString('en-US')} msgs/s in total to the broker for ${load.seconds} s after ${load.warmupSeconds} s of warm-up; median of ${runs} runs. The per-device rate limit is lifted in the replicas. A saturating load is not used: the broker acknowledges devices at once, so it would measure Mosquitto's queue (and, past max_queued_messages, its drops), not the gateways.`,
          'Throughput is read from the rows: 80 % of the rows divided by the time between the 10th and 90th percentile of their commit times. Lag is commit time minus publish time. Every message the broker acknowledged was checked to be stored.',
          'Mosquitto, both replicas, PostgreSQL and the load generator share this machine’s 2 cores, so a second replica adds consumers but no CPU: the ratio shows what splitting costs or gains here, not on separate machines.',
        ],
      };
    } finally {
      await broker?.stop();
      rmSync(dir, { recursive: true, force: true });
      await fleet.database.close();
    }
  },
};
