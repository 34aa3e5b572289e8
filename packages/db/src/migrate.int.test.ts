import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultMigrationsDir, migrateDatabase } from './migrate.ts';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from './testing.ts';

const migrationNames = (await readdir(defaultMigrationsDir, { withFileTypes: true }))
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

describe.each(testDatabaseKinds())('migrateDatabase on %s', (kind) => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it('applies every migration once, recorded as Prisma records them', { timeout: 60_000 }, async () => {
    database = await createTestDatabase(kind, { migrated: false });
    expect(await migrateDatabase({ url: database.url })).toEqual({ applied: migrationNames });
    expect(await migrateDatabase({ url: database.url })).toEqual({ applied: [] });

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        'SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
      );
      // Prisma's checksum is the SHA-256 of migration.sql; `prisma migrate status` compares it.
      const expected = await Promise.all(
        migrationNames.map(async (name) => ({
          migration_name: name,
          checksum: createHash('sha256')
            .update(await readFile(join(defaultMigrationsDir, name, 'migration.sql')))
            .digest('hex'),
          rolled_back_at: null,
          applied_steps_count: 1,
        })),
      );
      expect(rows.map(({ finished_at, ...row }) => row)).toEqual(expected);
      expect(rows.every((row) => row.finished_at instanceof Date)).toBe(true);
    } finally {
      await client.end();
    }
  });

  it('lets concurrent callers apply each migration exactly once', { timeout: 60_000 }, async () => {
    database = await createTestDatabase(kind, { migrated: false });
    // On PostgreSQL a differently spelled URL skips the in-process queue, like a second process
    // would, leaving the advisory lock to serialise.
    const other = kind === 'postgres' ? `${database.url}?application_name=second` : database.url;
    const results = await Promise.all([migrateDatabase({ url: database.url }), migrateDatabase({ url: other })]);
    expect(results.flatMap((result) => result.applied).sort()).toEqual(migrationNames);
  });

  it('gives a migrated database a working Prisma client', { timeout: 60_000 }, async () => {
    database = await createTestDatabase(kind);
    await database.db.user.create({ data: { id: 'u1', name: 'Ada', email: 'ada@example.com' } });
    expect(await database.db.user.count()).toBe(1);
    expect(await migrateDatabase({ url: database.url })).toEqual({ applied: [] });
  });
});
