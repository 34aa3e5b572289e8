import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINE_LOCK_KEY, type EngineLeader, startEngineLeader } from './leader.ts';

const quiet = () => {};

/** Leaders started by a test, stopped (and its database closed) after it. */
function useLeaders() {
  const state: { t?: TestDatabase } = {};
  const leaders: EngineLeader[] = [];

  afterEach(async () => {
    await Promise.all(leaders.splice(0).map((l) => l.stop()));
    await state.t?.close();
    state.t = undefined;
  });

  const start = (db: TestDatabase, onTick: () => void = () => {}, onNotified: () => void = () => {}) => {
    const leader = startEngineLeader({
      databaseUrl: db.url,
      log: quiet,
      tickMs: 50,
      retryMs: 200,
      tick: async () => {
        onTick();
        return { notified: 1 };
      },
      onNotified,
    });
    leaders.push(leader);
    return leader;
  };
  return { state, start, leaders };
}

describe.each(testDatabaseKinds())('rollout engine leadership on %s', (kind) => {
  const { state, start } = useLeaders();

  it('ticks while it holds the lock, pokes after ticks that notified, and stops on stop()', async () => {
    state.t = await createTestDatabase(kind);
    let pokes = 0;
    const leader = start(state.t, undefined, () => {
      pokes += 1;
    });
    await expect.poll(() => leader.ticks(), { timeout: 10_000 }).toBeGreaterThan(2);
    expect(leader.isLeader()).toBe(true);
    expect(pokes).toBeGreaterThan(0);
    await leader.stop();
    const after = leader.ticks();
    await new Promise((r) => setTimeout(r, 200));
    expect(leader.ticks()).toBe(after);
    expect(leader.isLeader()).toBe(false);
  });
});

// Session advisory locks only mean something with real sessions: PGlite is a single backend
// (every client shares its one session), so takeover is a PostgreSQL property.
describe.each(testDatabaseKinds().filter((k) => k === 'postgres'))('rollout engine takeover on %s', (kind) => {
  const { state, start, leaders } = useLeaders();

  it('two gateways: only one ticks; when its session dies the other takes over within seconds', async () => {
    const db = await createTestDatabase(kind);
    state.t = db;
    const first = start(db);
    await expect.poll(() => first.isLeader(), { timeout: 10_000 }).toBe(true);
    const second = start(db);
    // The second keeps trying (every 200 ms) and keeps failing while the first holds the lock.
    await new Promise((r) => setTimeout(r, 1000));
    expect(second.isLeader()).toBe(false);
    expect(second.ticks()).toBe(0);
    expect(first.ticks()).toBeGreaterThan(5);

    // The leader's process dies as far as PostgreSQL is concerned: its session is terminated.
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = $1::bigint::oid
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [ENGINE_LOCK_KEY],
      );
      expect(rows).toHaveLength(1);
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
    } finally {
      await admin.end();
    }
    const took = Date.now();
    await expect.poll(() => second.isLeader(), { timeout: 5000, interval: 50 }).toBe(true);
    expect(Date.now() - took).toBeLessThan(5000);
    await expect.poll(() => second.ticks(), { timeout: 5000 }).toBeGreaterThan(2);
    // The old leader noticed at its next tick and stopped; it now waits for the lock.
    await expect.poll(() => first.isLeader(), { timeout: 5000 }).toBe(false);
    const firstTicks = first.ticks();
    await new Promise((r) => setTimeout(r, 500));
    expect(first.ticks()).toBe(firstTicks);

    // A clean stop releases the lock at once, and the first takes it back.
    await second.stop();
    await expect.poll(() => first.isLeader(), { timeout: 5000 }).toBe(true);
  });

  it('keeps ticking through tick errors, and only the leader runs the tick', async () => {
    const db = await createTestDatabase(kind);
    state.t = db;
    let calls = 0;
    const leader = startEngineLeader({
      databaseUrl: db.url,
      log: quiet,
      tickMs: 20,
      retryMs: 100,
      tick: async () => {
        calls += 1;
        throw new Error('engine bug');
      },
    });
    leaders.push(leader);
    await expect.poll(() => calls, { timeout: 10_000 }).toBeGreaterThan(3);
    expect(leader.isLeader()).toBe(true);
  });
});
