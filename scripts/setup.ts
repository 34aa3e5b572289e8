/**
 * `npm run setup`: the one-time (and idempotent) preparation of a shared database for
 * replicas, what `npm start` does before it starts its children: apply migrations, create the
 * fleet CA and the director key if absent, and create the first admin from EDGEFLEET_ADMIN_EMAIL /
 * EDGEFLEET_ADMIN_PASSWORD if there is no user yet. Run it once per release (compose's `setup`
 * service, the Kubernetes Job) before web and gateway replicas start. Needs DATABASE_URL and
 * EDGEFLEET_SECRET (every replica must share that secret).
 */
import { ConfigError, loadEnv } from '@edgefleet/config/env';
import { ensureInitialAdmin } from '@edgefleet/core/bootstrap';
import { loadOrCreateFleetPki } from '@edgefleet/core/pki';
import { loadOrCreateDirectorKey } from '@edgefleet/core/rollouts/director-key';
import { createDb } from '@edgefleet/db/client';
import { migrateDatabase } from '@edgefleet/db/migrate';

const log = (msg: string) => console.log(`[setup] ${msg}`);

function fail(msg: string): never {
  console.error(`[setup] error: ${msg}`);
  process.exit(1);
}

let env: ReturnType<typeof loadEnv>;
try {
  env = loadEnv();
} catch (e) {
  fail(e instanceof ConfigError ? e.message : String(e));
}
const url = env.DATABASE_URL;
if (!url) fail('DATABASE_URL is not set: setup prepares a shared PostgreSQL database (`npm start` needs no setup)');
const secret = env.EDGEFLEET_SECRET;
if (!secret) fail('EDGEFLEET_SECRET is not set: every replica must share it (at least 32 characters)');

try {
  const { applied } = await migrateDatabase({ url });
  log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
} catch (e) {
  fail(`migrations failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
}

const db = createDb({ url, maxConnections: 2 });
try {
  const pki = await loadOrCreateFleetPki(db, { secret, publicHost: env.EDGEFLEET_PUBLIC_HOST });
  log(`fleet CA fingerprint ${pki.fingerprint} (agents pin it: --ca-fingerprint)`);
  const director = await loadOrCreateDirectorKey(db, { secret });
  log(`director key ${director.keyId}`);
  const admin = await ensureInitialAdmin(db, {
    dataDir: env.EDGEFLEET_DATA_DIR,
    email: env.EDGEFLEET_ADMIN_EMAIL,
    password: env.EDGEFLEET_ADMIN_PASSWORD,
  });
  if (admin.created) {
    log(
      admin.passwordFile
        ? `first admin ${admin.email}; its password is in ${admin.passwordFile}`
        : `first admin ${admin.email} (password from EDGEFLEET_ADMIN_PASSWORD)`,
    );
  }
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
} finally {
  await db.$disconnect();
}
