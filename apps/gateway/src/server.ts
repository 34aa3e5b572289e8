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
import { createDeviceHttpHandler } from './http/router.ts';
import { startAedesBroker } from './mqtt/aedes-broker.ts';
import { DesiredOutbox } from './mqtt/desired-outbox.ts';
import type { StateReportCounts } from './mqtt/state-ingest.ts';

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
  /** How often the doorbell outbox looks for changed instructions (ms). */
  outboxIntervalMs?: number;
  log?: (message: string) => void;
}

export interface Gateway {
  devicePort: number;
  mqttPort: number;
  connectedDeviceIds(): string[];
  stateReports(): StateReportCounts;
  /** Whether this gateway currently runs the rollout engine. */
  isEngineLeader(): boolean;
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
  const broker = await startAedesBroker({
    db: opts.db,
    pki: opts.pki,
    bind: opts.bind,
    port: opts.mqttPort,
    revocationPollMs: opts.revocationPollMs,
    log: opts.log,
  });
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
  const leader: EngineLeader | null = opts.engine
    ? startEngineLeader({
        databaseUrl: opts.engine.databaseUrl,
        tickMs: opts.engine.tickMs,
        retryMs: opts.engine.retryMs,
        log,
        tick: () => runEngineTick({ db: opts.db, log, now }),
        onNotified: () => outbox?.poke(),
      })
    : null;
  const stopBackground = () => Promise.all([leader?.stop(), outbox?.close()]);
  const devices = createDeviceHttpHandler({
    db: opts.db,
    pki: opts.pki,
    clock: opts.clock,
    director: opts.director,
    artifacts: opts.artifacts,
  });

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
    await stopBackground();
    await broker.close();
    throw e;
  });
  return {
    devicePort,
    mqttPort: broker.port,
    connectedDeviceIds: () => broker.connectedDeviceIds(),
    stateReports: () => broker.stateReports(),
    isEngineLeader: () => leader?.isLeader() ?? false,
    async close() {
      // The engine and the outbox first: they write the database and publish through the broker.
      await stopBackground();
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
