import 'server-only';
import { createAuth } from '@edgefleet/api/auth';
import type { Services } from '@edgefleet/api/root';
import { loadEnv } from '@edgefleet/config/env';
import { loadOrCreateSecret } from '@edgefleet/config/secrets';
import { loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { createArtifactStore } from '@edgefleet/core/registry/artifact-store-from-env';
import { createDb } from '@edgefleet/db/client';

export const VERSION = '0.1.0';

/**
 * The web app's composition root: one database pool, one auth instance and the fleet PKI per
 * process. DATABASE_URL always points somewhere: the launcher (`npm start`) sets it to the
 * embedded database's socket when the operator did not set one, and creates the PKI first.
 */
async function build(): Promise<Services> {
  const env = loadEnv();
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set: start the control plane with `npm start`');
  const db = createDb({ url: env.DATABASE_URL });
  const secret = loadOrCreateSecret(env.EDGEFLEET_DATA_DIR, env.EDGEFLEET_SECRET);
  const auth = createAuth({ db, secret, baseURL: env.publicUrl, trustedOrigins: [`http://127.0.0.1:${env.PORT}`] });
  const pki = await loadOrCreateFleetPki(db, { secret, publicHost: env.EDGEFLEET_PUBLIC_HOST });
  return {
    db,
    auth,
    pki,
    artifacts: createArtifactStore(env),
    secret,
    publicUrl: env.publicUrl,
    info: {
      version: VERSION,
      database: env.EDGEFLEET_EMBEDDED_DB ? 'embedded' : 'postgresql',
      devicePort: env.EDGEFLEET_DEVICE_PORT,
      mqttPort: env.EDGEFLEET_MQTT_PORT,
    },
  };
}

// Next may evaluate this module more than once per process (route bundles); keep one instance.
// A failed build is not cached, so the next request retries (e.g. the database was briefly down).
const g = globalThis as typeof globalThis & { __edgefleetServices?: Promise<Services> };
export function services(): Promise<Services> {
  g.__edgefleetServices ??= build().catch((e: unknown) => {
    g.__edgefleetServices = undefined;
    throw e;
  });
  return g.__edgefleetServices;
}
