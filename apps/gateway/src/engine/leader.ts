import pg from 'pg';

export type Log = (message: string) => void;

/**
 * The session advisory lock only one gateway at a time holds while it runs the rollout engine.
 * Any constant does, as long as nothing else in the database uses it: "EFRO" (EdgeFleet ROllout).
 */
export const ENGINE_LOCK_KEY = 0x4546524f;

export interface EngineLeaderOptions {
  /** The database the engine works on, reached here on a connection of its own for the lock. */
  databaseUrl: string;
  log: Log;
  /** One engine step (core's runEngineTick); `notified` > 0 calls onNotified. */
  tick: () => Promise<{ notified: number }>;
  /** Called after a tick that changed devices' desired state (pokes the doorbell outbox). */
  onNotified?: () => void;
  tickMs?: number;
  /** Wait between attempts to take the lock (ms), while another gateway leads or the database is down. */
  retryMs?: number;
}

export interface EngineLeader {
  isLeader(): boolean;
  /** Ticks completed while leading, for tests and health. */
  ticks(): number;
  stop(): Promise<void>;
}

/** Waits `ms`, or less if `signal` aborts. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** Ends a client whose connection may already be dead, without waiting on it for long. */
const endQuietly = (c: pg.Client) =>
  Promise.race([c.end().catch(() => {}), new Promise<void>((r) => setTimeout(r, 1000).unref())]);

/**
 * Runs the rollout engine in at most one gateway: the one holding a PostgreSQL session advisory
 * lock on a dedicated connection (not the Prisma pool, whose connections come and go). The lock
 * lives exactly as long as that session, so when a leader dies or its connection drops, the
 * server releases it and the next gateway that tries takes over within `retryMs`.
 *
 * Invariant: a tick starts only after a query on the lock connection succeeded, so a leader that
 * lost its session (and so possibly its lock) stops ticking before the next tick; ticks are
 * idempotent, so the one that may overlap a takeover does no harm.
 *
 * On the embedded database (PGlite, one backend shared by every connection) every session is the
 * same session, so the lock is always granted: right for its one-gateway setup.
 */
export function startEngineLeader(opts: EngineLeaderOptions): EngineLeader {
  const { tick } = opts;
  const tickMs = opts.tickMs ?? 1000;
  const retryMs = opts.retryMs ?? 2000;
  const stopping = new AbortController();
  let leading = false;
  let tickCount = 0;

  const connect = async (): Promise<pg.Client | null> => {
    const c = new pg.Client({
      connectionString: opts.databaseUrl,
      application_name: 'edgefleet rollout engine',
      connectionTimeoutMillis: 5000,
      query_timeout: 10_000,
      keepAlive: true,
    });
    // A dropped connection emits 'error' outside any query; unhandled it would end the process.
    c.on('error', (e) => {
      if (leading) opts.log(`rollout engine lock connection lost: ${e.message}`);
    });
    try {
      await c.connect();
      const { rows } = await c.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
        ENGINE_LOCK_KEY,
      ]);
      if (rows[0]?.locked) return c;
    } catch (e) {
      opts.log(`rollout engine lock unavailable: ${e instanceof Error ? e.message : String(e)}`);
    }
    await endQuietly(c);
    return null;
  };

  const lead = async (c: pg.Client) => {
    leading = true;
    opts.log('rollout engine: this gateway leads');
    while (!stopping.signal.aborted) {
      try {
        await c.query('SELECT 1');
      } catch {
        break; // the session, and with it the lock, is gone
      }
      try {
        const result = await tick();
        tickCount += 1;
        if (result.notified > 0) opts.onNotified?.();
      } catch (e) {
        opts.log(`rollout engine tick failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      await sleep(tickMs, stopping.signal);
    }
    leading = false;
    if (!stopping.signal.aborted) opts.log('rollout engine: lost the lock; trying to take it again');
  };

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      const c = await connect();
      if (c && !stopping.signal.aborted) await lead(c);
      // Closing the session releases the lock (if it still held one).
      if (c) await endQuietly(c);
      await sleep(retryMs, stopping.signal);
    }
  })();

  return {
    isLeader: () => leading,
    ticks: () => tickCount,
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
