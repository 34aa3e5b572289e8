import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FleetPki } from '@edgefleet/core/pki';
import type { ArtifactStore } from '@edgefleet/core/registry/artifact-store';
import type { DirectorKey } from '@edgefleet/core/rollouts/director-key';
import { runEngineTick } from '@edgefleet/core/rollouts/engine';
import type { Clock } from '@edgefleet/core/tokens';
import type { Db } from '@edgefleet/db/client';
import { type EngineLeader, startEngineLeader } from './engine/leader.ts';
import { HealthJobs, type HealthJobsOptions } from './health/jobs.ts';
import { type DeviceRequestRecord, observeDeviceRequests } from './http/observe.ts';
import type { RateRule } from './http/rate-limit.ts';
import { createDeviceHttpHandler } from './http/router.ts';
import { startAedesBroker } from './mqtt/aedes-broker.ts';
import { DesiredOutbox } from './mqtt/desired-outbox.ts';
import type { GatewayBroker } from './mqtt/device-broker.ts';
import { DiagnosticsDoorbell } from './mqtt/diagnostics-doorbell.ts';
import { type ExternalBrokerOptions, startExternalBroker } from './mqtt/external-broker.ts';
import type { StateReportCounts } from './mqtt/state-ingest.ts';
import type { IngestStats, IngestTuning, IngestWriter } from './mqtt/telemetry-ingest.ts';

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
  /**
   * The director key that signs each device's TUF repository. With it the gateway serves
   * `/v1/tuf/…` and rings the `desired` doorbell when a device's instruction changes; without it
   * (enrollment-only tests) those routes answer 503 and no doorbell rings.
   */
  director?: DirectorKey;
  /** Model artifact bytes for `/v1/artifacts/…` (503 without). */
  artifacts?: ArtifactStore;
  /** Run the rollout engine while this gateway holds the leader lock in that database. */
  engine?: { databaseUrl: string; tickMs?: number; retryMs?: number };
  /** Health jobs (webhooks, alerts, liveness, rollups, retention), run by the engine leader. */
  health?: Omit<HealthJobsOptions, 'db' | 'log' | 'now'>;
  /** How often the doorbell outbox looks for changed instructions (ms). */
  outboxIntervalMs?: number;
  log?: (message: string) => void;
  /** Publish-arrival → commit latency (ms) of each telemetry/event message in a committed batch. */
  onIngestCommitted?: (lagsMs: number[]) => void;
  /**
   * An external broker: the gateway hosts none and consumes device messages as a client of this
   * one (shared subscriptions); `mqttPort` is then unused.
   */
  externalBroker?: Omit<
    ExternalBrokerOptions,
    'db' | 'log' | 'devicePort' | 'ingest' | 'ingestWriter' | 'onIngestCommitted' | 'revocationPollMs'
  >;
  /** What enrolling devices are told about MQTT (default: this gateway's host and MQTT port). */
  deviceMqtt?: { host?: string; port?: number };
  /** Telemetry ingest limits: buffer, batch size, per-device rate (defaults in telemetry-ingest.ts). */
  ingest?: IngestTuning;
  /** Test seam: the ingest's batch writers. */
  ingestWriter?: IngestWriter;
  /** Called once per device HTTPS request when it ends (access log, request metrics). */
  onDeviceRequest?: (request: DeviceRequestRecord) => void;
  /** Per-address request limits by route (default: DEFAULT_RATE_RULES). */
  rateRules?: Record<string, RateRule>;
}

export interface Gateway {
  devicePort: number;
  mqttPort: number;
  connectedDeviceIds(): string[];
  stateReports(): StateReportCounts;
  /** Telemetry/event ingest counters and buffer state. */
  ingestStats(): IngestStats;
  /** Whether this gateway currently runs the rollout engine. */
  isEngineLeader(): boolean;
  /** The external broker connection, or null when the gateway hosts the broker itself. */
  externalBroker(): {
    url: string;
    clientId: string;
    group: string;
    connected: boolean;
    lastError: string | null;
  } | null;
  /** Rollout engine ticks this gateway has completed (while leading). */
  engineTicks(): number;
  close(): Promise<void>;
}

/**
 * The device-facing process: HTTPS for enrollment, renewal, each device's signed instruction
 * (TUF) and artifacts, and the MQTT broker, both with the gateway certificate from the fleet PKI;
 * beside them the doorbell outbox and, while this gateway holds the leader lock, the rollout
 * engine. HTTPS asks for a client certificate but lets the handshake finish without one
 * (enrollment happens before a device has one); routes that need identity check
 * `socket.authorized` themselves. MQTT refuses the handshake without one.
 */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const brokerCommon = {
    db: opts.db,
    revocationPollMs: opts.revocationPollMs,
    log: opts.log,
    ingest: opts.ingest,
    ingestWriter: opts.ingestWriter,
    onIngestCommitted: opts.onIngestCommitted,
  };
  const broker: GatewayBroker = opts.externalBroker
    ? await startExternalBroker({
        ...brokerCommon,
        ...opts.externalBroker,
        devicePort: opts.deviceMqtt?.port ?? 8883,
      })
    : await startAedesBroker({ ...brokerCommon, pki: opts.pki, bind: opts.bind, port: opts.mqttPort });
  const log = opts.log ?? ((m: string) => console.warn(`[gateway] ${m}`));
  const clock = opts.clock;
  const now = clock ? () => clock.now() : undefined;
  const outbox = opts.director
    ? new DesiredOutbox({
        db: opts.db,
        director: opts.director,
        broker,
        log,
        intervalMs: opts.outboxIntervalMs,
        now,
      })
    : null;
  const healthJobs = opts.engine ? new HealthJobs({ ...opts.health, db: opts.db, log, now }) : null;
  const leader: EngineLeader | null = opts.engine
    ? startEngineLeader({
        databaseUrl: opts.engine.databaseUrl,
        tickMs: opts.engine.tickMs,
        retryMs: opts.engine.retryMs,
        log,
        tick: () => {
          healthJobs?.onTick();
          return runEngineTick({ db: opts.db, log, now });
        },
        onNotified: () => outbox?.poke(),
      })
    : null;
  // Rings `…/diagnostics` when a device's pending diagnostics requests change (every second).
  const doorbell = new DiagnosticsDoorbell({ db: opts.db, broker, log, now });
  const stopBackground = () =>
    Promise.all([leader?.stop().then(() => healthJobs?.close()), outbox?.close(), doorbell.close()]);
  const devices = createDeviceHttpHandler({
    db: opts.db,
    pki: opts.pki,
    clock: opts.clock,
    director: opts.director,
    artifacts: opts.artifacts,
    mqttPort: opts.deviceMqtt?.port ?? broker.port,
    mqttHost: opts.deviceMqtt?.host,
    rateRules: opts.rateRules,
  });

  const https = createHttpsServer(
    {
      key: opts.pki.gateway.keyPem,
      cert: opts.pki.gateway.certPem + opts.pki.issuingCertPem,
      ca: opts.pki.caChainPem,
      requestCert: true,
      rejectUnauthorized: false,
    },
    // Every request gets an `x-request-id`; only reporting it is optional.
    observeDeviceRequests(
      (req, res) => {
        if (req.method === 'GET' && req.url === '/healthz') return healthz(opts, broker, res);
        devices(req, res);
      },
      (r) => opts.onDeviceRequest?.(r),
    ),
  );
  https.on('tlsClientError', () => {}); // a client that gives up mid-handshake is not our error

  const devicePort = await new Promise<number>((resolve, reject) => {
    https.once('error', reject);
    https.listen(opts.devicePort, opts.bind, () => resolve((https.address() as AddressInfo).port));
  }).catch(async (e: unknown) => {
    await stopBackground();
    await broker.close();
    throw e;
  });
  return {
    devicePort,
    mqttPort: broker.port,
    connectedDeviceIds: () => broker.connectedDeviceIds(),
    stateReports: () => broker.stateReports(),
    ingestStats: () => broker.ingestStats(),
    isEngineLeader: () => leader?.isLeader() ?? false,
    externalBroker: () => broker.external?.() ?? null,
    engineTicks: () => leader?.ticks() ?? 0,
    async close() {
      // The engine and the outbox first: they write the database and publish through the broker.
      await stopBackground();
      const closed = new Promise<void>((r) => https.close(() => r()));
      https.closeAllConnections();
      await Promise.all([closed, broker.close()]);
    },
  };
}

function healthz(opts: GatewayOptions, broker: GatewayBroker, res: ServerResponse<IncomingMessage>) {
  const clients = broker.connectedDeviceIds().length;
  const stats = broker.ingestStats();
  // Failing ingest writes do not make the gateway unhealthy (messages wait, unacknowledged, in a
  // bounded buffer), but they are reported: a full buffer means devices are held back, and a
  // full hold queue that they are being refused.
  const ingest = {
    degraded: broker.ingestDegraded(),
    bufferDepth: stats.bufferDepth,
    bufferLimit: stats.bufferLimit,
    heldDepth: stats.heldDepth,
    holdLimit: stats.holdLimit,
    lastWriteError: stats.lastWriteError,
  };
  opts.checkDatabase().then(
    () => {
      const external = broker.external?.();
      const mqtt = external
        ? {
            broker: 'external',
            url: external.url,
            clientId: external.clientId,
            group: external.group,
            connected: external.connected,
            lastError: external.lastError,
          }
        : { broker: 'embedded', clients };
      json(res, 200, { status: 'ok', mqtt, ingest });
    },
    (e: unknown) => json(res, 503, { status: 'unavailable', error: e instanceof Error ? e.message : String(e) }),
  );
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
