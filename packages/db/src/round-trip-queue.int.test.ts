import { connect, type Socket } from 'node:net';
import { parse, serialize } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDatabase, IN_MEMORY, startEmbeddedDatabase } from './embedded.ts';

/** A bare wire-protocol connection, so the test controls exactly when each message is sent. */
async function rawConnection(url: string) {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  const messages: BackendMessage[] = [];
  const waiters: Array<() => void> = [];
  void parse(socket, (msg) => {
    messages.push(msg);
    for (const w of waiters.splice(0)) w();
  });
  const next = async (name: string, timeoutMs = 3000): Promise<BackendMessage> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = messages.findIndex((m) => m.name === name || m.name === 'error');
      if (i !== -1) return messages.splice(i, 1)[0] as BackendMessage;
      if (Date.now() > deadline) throw new Error(`no ${name} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
  };
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.write(serialize.startup({ user: 'postgres', database: 'postgres' }));
  await next('readyForQuery');
  return { socket, next };
}

describe('embedded database round trips', () => {
  let db: EmbeddedDatabase;
  beforeAll(async () => {
    db = await startEmbeddedDatabase({ dataDir: IN_MEMORY });
  });
  afterAll(async () => {
    await db?.close();
  });

  it("keeps another connection's Parse out of an open extended-protocol round trip", async () => {
    const a = await rawConnection(db.url);
    const b = await rawConnection(db.url);

    // A parses a 3-parameter statement and waits for ParseComplete, round trip still open.
    a.socket.write(
      Buffer.concat([serialize.parse({ text: 'SELECT $1::int + $2::int + $3::int AS s' }), serialize.flush()]),
    );
    expect((await a.next('parseComplete')).name).toBe('parseComplete');

    // B replaces the unnamed statement, if the server lets it run now.
    b.socket.write(Buffer.concat([serialize.parse({ text: 'SELECT $1::int AS s' }), serialize.flush()]));
    await new Promise((r) => setTimeout(r, 300));

    // A binds the 3 values it prepared for.
    a.socket.write(Buffer.concat([serialize.bind({ values: ['1', '2', '3'] }), serialize.execute(), serialize.sync()]));
    const row = await a.next('dataRow');
    expect(row.name, JSON.stringify(row)).toBe('dataRow');
    expect((row as unknown as { fields: string[] }).fields).toEqual(['6']);

    // B's round trip runs once A's is over.
    expect((await b.next('parseComplete')).name).toBe('parseComplete');
    a.socket.destroy();
    b.socket.destroy();
  });

  it('releases the round trip when its connection drops mid-way', async () => {
    const a = await rawConnection(db.url);
    a.socket.write(Buffer.concat([serialize.parse({ text: 'SELECT 1' }), serialize.flush()]));
    await a.next('parseComplete');
    a.socket.destroy(); // no Sync ever comes
    const b = await rawConnection(db.url);
    b.socket.write(serialize.query('SELECT 2 AS n'));
    const row = await b.next('dataRow');
    expect((row as unknown as { fields: string[] }).fields).toEqual(['2']);
    b.socket.destroy();
  });
});

describe('embedded database under concurrent Prisma load', () => {
  it('keeps queries and interactive transactions from separate connections apart', async () => {
    const { createTestDatabase } = await import('./testing.ts');
    const t = await createTestDatabase('pglite');
    try {
      const plain = await Promise.allSettled(
        Array.from({ length: 200 }, (_, i) =>
          i % 2
            ? t.db.device.findFirst({ where: { publicKeyPem: `k${i}` } })
            : t.db.auditEvent.create({
                data: { actorType: 'system', actorLabel: `x${i}`, action: 'a', outcome: 'success' },
              }),
        ),
      );
      const mixed = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          i % 2
            ? t.db.$transaction(async (tx) => {
                await tx.auditEvent.count();
                await tx.auditEvent.count({ where: { actorLabel: `y${i}` } });
              })
            : t.db.device.findFirst({ where: { publicKeyPem: `k${i}` } }),
        ),
      );
      const failures = [...plain, ...mixed]
        .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        .map((r) => String(r.reason).split('\n').at(-1));
      expect(failures).toEqual([]);
    } finally {
      await t.close();
    }
  }, 60_000);
});
