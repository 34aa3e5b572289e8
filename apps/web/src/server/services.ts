import 'server-only';
import { createAuth } from '@edgefleet/api/auth';
import type { Services } from '@edgefleet/api/root';
import { loadEnv } from '@edgefleet/config/env';
import { loadOrCreateSecret } from '@edgefleet/config/secrets';
import { createDb } from '@edgefleet/db/client';

export const VERSION = '0.1.0';

/**
 * The web app's composition root: one database pool and one auth instance per process.
 * DATABASE_URL always points somewhere: the launcher (`npm start`) sets it to the embedded
 * database's socket when the operator did not set one.
 */
function build(): Services {
  const env = loadEnv();
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set: start the control plane with `npm start`');
  const db = createDb({ url: env.DATABASE_URL });
  const secret = loadOrCreateSecret(env.EDGEFLEET_DATA_DIR, env.EDGEFLEET_SECRET);
  const auth = createAuth({ db, secret, baseURL: env.publicUrl, trustedOrigins: [`http://127.0.0.1:${env.PORT}`] });
  return {
    db,
    auth,
    info: {
      version: VERSION,
      database: env.EDGEFLEET_EMBEDDED_DB ? 'embedded' : 'postgresql',
      devicePort: env.EDGEFLEET_DEVICE_PORT,
      mqttPort: env.EDGEFLEET_MQTT_PORT,
    },
  };
}

// Next may evaluate this module more than once per process (route bundles); keep one instance.
const g = globalThis as typeof globalThis & { __edgefleetServices?: Services };
export function services(): Services {
  g.__edgefleetServices ??= build();
  return g.__edgefleetServices;
}
