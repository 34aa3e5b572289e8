import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedDatabase } from './embedded.ts';
import { createMigration, defaultMigrationsDir, defaultSchemaPath, migrateDatabase } from './migrate.ts';

// Always on copies: a test must never write to the real prisma/migrations.
describe('createMigration', () => {
  let work: string;
  let migrationsDir: string;
  let schemaPath: string;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'edgefleet-create-migration-'));
    migrationsDir = join(work, 'migrations');
    schemaPath = join(work, 'schema.prisma');
    await cp(defaultMigrationsDir, migrationsDir, { recursive: true });
    await cp(defaultSchemaPath, schemaPath);
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('returns null and writes nothing when the schema matches the migrations', { timeout: 60_000 }, async () => {
    const before = await readdir(migrationsDir);
    expect(await createMigration({ name: 'nothing', schemaPath, migrationsDir })).toBeNull();
    expect(await readdir(migrationsDir)).toEqual(before);
  });

  it('writes a migration for a new model, which then applies', { timeout: 60_000 }, async () => {
    const schema = await readFile(schemaPath, 'utf8');
    await writeFile(schemaPath, `${schema}\nmodel Widget {\n  id   Int    @id\n  name String\n}\n`);
    const created = await createMigration({ name: 'add_widget', schemaPath, migrationsDir });
    expect(created?.dir).toMatch(/\/\d{14}_add_widget$/);
    const sql = await readFile(join(created?.dir ?? '', 'migration.sql'), 'utf8');
    expect(sql).toContain('CREATE TABLE "Widget"');
    expect(sql).not.toContain('"users"');
    expect(await readFile(join(migrationsDir, 'migration_lock.toml'), 'utf8')).toContain('provider = "postgresql"');

    const db = await startEmbeddedDatabase({ dataDir: 'memory://' });
    try {
      const { applied } = await migrateDatabase({ url: db.url, migrationsDir });
      expect(applied.at(-1)).toMatch(/_add_widget$/);
    } finally {
      await db.close();
    }
    expect(await createMigration({ name: 'again', schemaPath, migrationsDir })).toBeNull();
  });

  it('writes the first migration and the lock file into an empty directory', { timeout: 60_000 }, async () => {
    const empty = join(work, 'empty');
    const created = await createMigration({ name: 'init', schemaPath, migrationsDir: empty });
    expect(created).not.toBeNull();
    expect(await readdir(empty)).toEqual(expect.arrayContaining(['migration_lock.toml']));
  });

  it('rejects names Prisma would not accept as a directory suffix', async () => {
    await expect(createMigration({ name: 'Bad-Name', schemaPath, migrationsDir })).rejects.toThrow(/must match/);
  });
});
