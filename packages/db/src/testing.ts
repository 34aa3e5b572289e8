// Test databases, so one suite runs on both engines: embedded PGlite always, and a real
// PostgreSQL server when one is reachable (CI requires it with EDGEFLEET_REQUIRE_POSTGRES=1).
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { createDb, type Db } from './client.ts';
import { IN_MEMORY, servePGlite, startEmbeddedDatabase } from './embedded.ts';
import { defaultMigrationsDir, migrateDatabase } from './migrate.ts';

export type TestDatabaseKind = 'pglite' | 'postgres';

export interface TestDatabase {
  url: string;
  db: Db;
  close(): Promise<void>;
}

export const testPostgresUrl = process.env.EDGEFLEET_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function reachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

// Probed once at import, so testDatabaseKinds() can feed describe.each synchronously.
const postgresProblem = await reachable(testPostgresUrl);

export function testDatabaseKinds(): TestDatabaseKind[] {
  if (!postgresProblem) return ['pglite', 'postgres'];
  if (process.env.EDGEFLEET_REQUIRE_POSTGRES === '1') {
    throw new Error(
      `EDGEFLEET_REQUIRE_POSTGRES=1 but PostgreSQL at ${testPostgresUrl} is not reachable: ${postgresProblem}`,
    );
  }
  return ['pglite'];
}

export interface CreateTestDatabaseOptions {
  /** Apply prisma/migrations first (default). False gives an empty database, for migration tests. */
  migrated?: boolean;
}

export async function createTestDatabase(
  kind: TestDatabaseKind,
  { migrated = true }: CreateTestDatabaseOptions = {},
): Promise<TestDatabase> {
  if (kind === 'postgres') return createPostgresDatabase(migrated);
  return migrated ? createPGliteDatabase() : withClient(await startEmbeddedDatabase({ dataDir: IN_MEMORY }));
}

function withClient(server: { url: string; close(): Promise<void> }): TestDatabase {
  const db = createDb({ url: server.url });
  return {
    url: server.url,
    db,
    async close() {
      await db.$disconnect();
      await server.close();
    },
  };
}

/**
 * Booting PGlite runs initdb (~1.5 s on this machine); loading a data-dir snapshot takes
 * ~0.4 s. So the first caller migrates a fresh in-memory database with the real migration
 * runner and saves it under the OS temp dir, keyed by the migrations' content; every later
 * test file (vitest runs each in its own worker) starts from that snapshot.
 */
async function createPGliteDatabase(): Promise<TestDatabase> {
  const snapshot = await migratedSnapshot();
  const pglite = await PGlite.create({ loadDataDir: new Blob([snapshot], { type: 'application/x-gzip' }) });
  return withClient(await servePGlite(pglite, { inMemory: true }));
}

async function migratedSnapshot(): Promise<Uint8Array<ArrayBuffer>> {
  const hash = createHash('sha256');
  // A snapshot is only valid for the PGlite build that wrote it and the migrations it ran.
  const pgliteEntry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  hash.update(await readFile(join(dirname(pgliteEntry), '..', 'package.json')));
  for (const dir of (await readdir(defaultMigrationsDir, { withFileTypes: true })).filter((d) => d.isDirectory())) {
    hash.update(dir.name);
    hash.update(await readFile(join(defaultMigrationsDir, dir.name, 'migration.sql')).catch(() => ''));
  }
  const path = join(tmpdir(), `edgefleet-pglite-${hash.digest('hex').slice(0, 16)}.tar.gz`);
  const cached = await readFile(path).catch(() => undefined);
  if (cached) return cached;
  const fresh = await startEmbeddedDatabase({ dataDir: IN_MEMORY });
  try {
    await migrateDatabase({ url: fresh.url });
    const dump = new Uint8Array(await (await fresh.pglite.dumpDataDir('gzip')).arrayBuffer());
    // Written aside and renamed, so parallel workers never read a half-written snapshot.
    const partial = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(partial, dump);
    await rename(partial, path);
    return dump;
  } finally {
    await fresh.close();
  }
}

/** A fresh database per call on the shared server, dropped (even with open sessions) on close. */
async function createPostgresDatabase(migrated: boolean): Promise<TestDatabase> {
  const name = `edgefleet_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testPostgresUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(testPostgresUrl);
  url.pathname = `/${name}`;
  const drop = async () => {
    const client = new pg.Client({ connectionString: testPostgresUrl });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
  };
  try {
    if (migrated) await migrateDatabase({ url: url.toString() });
  } catch (error) {
    await drop();
    throw error;
  }
  return withClient({ url: url.toString(), close: drop });
}
