/** The gateway process, started by the launcher alongside web (or alone: `npm run start:gateway`). */
import { readFileSync } from 'node:fs';
import { loadEnv } from '@edgefleet/config/env';
import { loadOrCreateSecret } from '@edgefleet/config/secrets';
import { exitWithLauncher } from '@edgefleet/config/supervision';
import { loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { fleetCrlPem } from '@edgefleet/core/pki/revoked-serials';
import { createArtifactStore } from '@edgefleet/core/registry/artifact-store-from-env';
import { loadOrCreateDirectorKey } from '@edgefleet/core/rollouts/director-key';
import { createDb } from '@edgefleet/db/client';
import { rateRules } from './http/rate-limit.ts';
import { createGatewayLogger, logDeviceRequest, logFunction } from './log.ts';
import { createGatewayMetrics } from './metrics.ts';
import { type MetricsServer, startMetricsServer } from './metrics-server.ts';
import { writeCrlFile } from './mosquitto.ts';
import { startGateway } from './server.ts';

const env = loadEnv();
const logger = createGatewayLogger({ level: env.EDGEFLEET_LOG_LEVEL });
if (!env.DATABASE_URL) {
  logger.fatal('DATABASE_URL is not set: start the control plane with `npm start`');
  process.exit(1);
}
const metrics = createGatewayMetrics();
const requestLog = logDeviceRequest(logger.child({ component: 'http' }));
const db = createDb({ url: env.DATABASE_URL, maxConnections: 4 });
const started = performance.now();
const secret = loadOrCreateSecret(env.EDGEFLEET_DATA_DIR, env.EDGEFLEET_SECRET);
const pki = await loadOrCreateFleetPki(db, { secret, publicHost: env.EDGEFLEET_PUBLIC_HOST });
logger.info(`fleet CA ${pki.fingerprint} (loaded in ${Math.round(performance.now() - started)} ms)`);
const director = await loadOrCreateDirectorKey(db, { secret });
logger.info(`director key ${director.keyId}`);

/** A file named by the configuration, or a one-line exit naming the setting. */
function readConfigFile(setting: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    logger.fatal(`${setting}: cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}

// The CRL the external broker checks device certificates against: written now, on every
// revocation, and hourly (a CRL past its nextUpdate makes the broker refuse every device).
const crlPath = env.EDGEFLEET_MQTT_CRL_FILE;
const crlFile = crlPath
  ? {
      write: async () => writeCrlFile(crlPath, await fleetCrlPem(db, { secret })),
    }
  : null;
const crlTimer = crlFile
  ? setInterval(
      () => void crlFile.write().catch((e: unknown) => logger.error(`CRL not rewritten: ${String(e)}`)),
      3_600_000,
    ).unref()
  : null;
const externalBroker = env.EDGEFLEET_MQTT_URL
  ? {
      url: env.EDGEFLEET_MQTT_URL,
      username: env.EDGEFLEET_MQTT_USERNAME,
      password: env.EDGEFLEET_MQTT_PASSWORD,
      caPem: env.EDGEFLEET_MQTT_CA_FILE
        ? readConfigFile('EDGEFLEET_MQTT_CA_FILE', env.EDGEFLEET_MQTT_CA_FILE)
        : pki.caChainPem,
      certPem: env.EDGEFLEET_MQTT_CERT_FILE && readConfigFile('EDGEFLEET_MQTT_CERT_FILE', env.EDGEFLEET_MQTT_CERT_FILE),
      keyPem: env.EDGEFLEET_MQTT_KEY_FILE && readConfigFile('EDGEFLEET_MQTT_KEY_FILE', env.EDGEFLEET_MQTT_KEY_FILE),
      clientId: env.EDGEFLEET_MQTT_CLIENT_ID,
      shareGroup: env.EDGEFLEET_MQTT_SHARE_GROUP,
      onRevocation: crlFile ? () => crlFile.write() : undefined,
    }
  : undefined;
await crlFile?.write().catch((e: unknown) => {
  logger.fatal(`EDGEFLEET_MQTT_CRL_FILE: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
const gateway = await startGateway({
  db,
  pki,
  director,
  artifacts: createArtifactStore(env),
  engine: env.EDGEFLEET_ENGINE === 'on' ? { databaseUrl: env.DATABASE_URL } : undefined,
  health: {
    secret,
    publicUrl: env.publicUrl,
    retention: { rawDays: env.EDGEFLEET_RETENTION_RAW_DAYS, rollupDays: env.EDGEFLEET_RETENTION_ROLLUP_DAYS },
  },
  bind: env.EDGEFLEET_BIND,
  devicePort: env.EDGEFLEET_DEVICE_PORT,
  mqttPort: env.EDGEFLEET_MQTT_PORT,
  externalBroker,
  deviceMqtt: { host: env.EDGEFLEET_DEVICE_MQTT_HOST, port: env.EDGEFLEET_DEVICE_MQTT_PORT },
  rateRules: rateRules(env.EDGEFLEET_ENROLL_RATE_LIMIT),
  checkDatabase: async () => {
    await db.$queryRaw`SELECT 1`;
  },
  log: logFunction(logger),
  onDeviceRequest: (r) => {
    metrics.observeDeviceRequest(r);
    requestLog(r);
  },
  onIngestCommitted: (lagsMs) => metrics.observeIngestLag(lagsMs),
});
metrics.attach(gateway);
logger.info(
  externalBroker
    ? `device HTTPS on :${gateway.devicePort}; devices use the external broker ${env.EDGEFLEET_DEVICE_MQTT_HOST ?? env.EDGEFLEET_PUBLIC_HOST}:${gateway.mqttPort}`
    : `device HTTPS on :${gateway.devicePort}, MQTT over TLS on :${gateway.mqttPort}`,
);
if (env.EDGEFLEET_ENGINE === 'off') logger.info('rollout engine off (EDGEFLEET_ENGINE=off)');
let metricsServer: MetricsServer | null = null;
if (env.EDGEFLEET_METRICS_PORT !== 0) {
  metricsServer = await startMetricsServer({
    registry: metrics.registry,
    port: env.EDGEFLEET_METRICS_PORT,
    bind: env.EDGEFLEET_METRICS_BIND,
  }).catch(async (e: unknown) => {
    logger.fatal(
      `metrics listener on ${env.EDGEFLEET_METRICS_BIND}:${env.EDGEFLEET_METRICS_PORT}: ${e instanceof Error ? e.message : String(e)}`,
    );
    await gateway.close();
    process.exit(1);
  });
  logger.info(`Prometheus metrics on http://${env.EDGEFLEET_METRICS_BIND}:${metricsServer.port}/metrics`);
}

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  if (crlTimer) clearInterval(crlTimer);
  await Promise.all([gateway.close(), metricsServer?.close()]);
  await db.$disconnect();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
exitWithLauncher(() => void shutdown(), env.EDGEFLEET_LAUNCHER_PID);
