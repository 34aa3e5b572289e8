import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from './client.ts';
import { acquireDataDirLock, DataDirLockedError, type EmbeddedDatabase, startEmbeddedDatabase } from './embedded.ts';
import { migrateDatabase } from './migrate.ts';

const user = (id: string) => ({ id, name: `User ${id}`, email: `${id}@example.com` });

describe('embedded database shared by two Prisma clients', () => {
  let server: EmbeddedDatabase;
  let a: Db;
  let b: Db;
  beforeAll(async () => {
    server = await startEmbeddedDatabase({ dataDir: 'memory://' });
    await migrateDatabase({ url: server.url });
    a = createDb({ url: server.url });
    b = createDb({ url: server.url });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.$disconnect(), b?.$disconnect()]);
    await server?.close();
  });

  it('serves concurrent writes and reads from both pools', { timeout: 60_000 }, async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `c${i}`);
    // Alternate clients and mix statements, so both pools' round trips interleave on the server.
    await Promise.all(
      ids.map(async (id, i) => {
        const [writer, reader] = i % 2 ? [a, b] : [b, a];
        await writer.user.create({ data: user(id) });
        await reader.user.findMany({ where: { id: { startsWith: 'c' } }, take: 5 });
      }),
    );
    const found = await b.user.findMany({ where: { id: { in: ids } }, select: { id: true, email: true } });
    expect(found).toHaveLength(ids.length);
    expect(found.every((row) => row.email === `${row.id}@example.com`)).toBe(true);
  });

  it('keeps an interactive transaction atomic while the other client works', { timeout: 60_000 }, async () => {
    const committed = a.$transaction(async (tx) => {
      await tx.user.create({ data: user('t1') });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await tx.user.update({ where: { id: 't1' }, data: { name: 'renamed' } });
    });
    const outside = b.user.create({ data: user('t2') });
    const rolledBack = b
      .$transaction(async (tx) => {
        await tx.user.create({ data: user('t3') });
        throw new Error('roll back');
      })
      .catch((error: Error) => error.message);
    await Promise.all([committed, outside]);
    expect(await rolledBack).toBe('roll back');
    expect(await a.user.findUnique({ where: { id: 't1' } })).toMatchObject({ name: 'renamed' });
    expect(await a.user.findUnique({ where: { id: 't2' } })).not.toBeNull();
    expect(await a.user.findUnique({ where: { id: 't3' } })).toBeNull();
  });
});

describe('file-backed data dir', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'edgefleet-embedded-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps data across close and reopen', { timeout: 60_000 }, async () => {
    const first = await startEmbeddedDatabase({ dataDir });
    await migrateDatabase({ url: first.url });
    const db = createDb({ url: first.url });
    await db.user.create({ data: user('persisted') });
    await db.$disconnect();
    await first.close();

    const second = await startEmbeddedDatabase({ dataDir });
    const again = createDb({ url: second.url });
    try {
      expect(await migrateDatabase({ url: second.url })).toEqual({ applied: [] });
      expect(await again.user.findUnique({ where: { id: 'persisted' } })).toMatchObject({ name: 'User persisted' });
    } finally {
      await again.$disconnect();
      await second.close();
    }
  });

  it('refuses a second opener while the first is open', { timeout: 60_000 }, async () => {
    const open = await startEmbeddedDatabase({ dataDir });
    try {
      const error = await startEmbeddedDatabase({ dataDir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataDirLockedError);
      expect((error as Error).message).toContain(`already open in process ${process.pid}`);
    } finally {
      await open.close();
    }
    // Closing released the lock.
    const reopened = await startEmbeddedDatabase({ dataDir });
    await reopened.close();
  });

  it('takes over a lock left by a dead process', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    await writeFile(join(dataDir, 'pgdata.lock'), `${dead}\n`);
    const lock = await acquireDataDirLock(dataDir);
    await expect(acquireDataDirLock(dataDir)).rejects.toBeInstanceOf(DataDirLockedError);
    await lock.release();
  });
});
