/** The gateway process, started by the launcher alongside web. */
import { loadEnv } from '@edgefleet/config/env';
import { loadOrCreateSecret } from '@edgefleet/config/secrets';
import { exitWithLauncher } from '@edgefleet/config/supervision';
import { loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { createArtifactStore } from '@edgefleet/core/registry/artifact-store-from-env';
import { loadOrCreateDirectorKey } from '@edgefleet/core/rollouts/director-key';
import { createDb } from '@edgefleet/db/client';
import { startGateway } from './server.ts';

const env = loadEnv();
if (!env.DATABASE_URL) {
  console.error('[gateway] DATABASE_URL is not set: start the control plane with `npm start`');
  process.exit(1);
}
const db = createDb({ url: env.DATABASE_URL, maxConnections: 4 });
const started = performance.now();
const secret = loadOrCreateSecret(env.EDGEFLEET_DATA_DIR, env.EDGEFLEET_SECRET);
const pki = await loadOrCreateFleetPki(db, { secret, publicHost: env.EDGEFLEET_PUBLIC_HOST });
console.log(`[gateway] fleet CA ${pki.fingerprint} (loaded in ${Math.round(performance.now() - started)} ms)`);
const director = await loadOrCreateDirectorKey(db, { secret });
console.log(`[gateway] director key ${director.keyId}`);
const gateway = await startGateway({
  db,
  pki,
  director,
  artifacts: createArtifactStore(env),
  engine: env.EDGEFLEET_ENGINE === 'on' ? { databaseUrl: env.DATABASE_URL } : undefined,
  bind: env.EDGEFLEET_BIND,
  devicePort: env.EDGEFLEET_DEVICE_PORT,
  mqttPort: env.EDGEFLEET_MQTT_PORT,
  checkDatabase: async () => {
    await db.$queryRaw`SELECT 1`;
  },
});
console.log(`[gateway] device HTTPS on :${gateway.devicePort}, MQTT over TLS on :${gateway.mqttPort}`);
if (env.EDGEFLEET_ENGINE === 'off') console.log('[gateway] rollout engine off (EDGEFLEET_ENGINE=off)');

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  await gateway.close();
  await db.$disconnect();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
exitWithLauncher(() => void shutdown(), env.EDGEFLEET_LAUNCHER_PID);
