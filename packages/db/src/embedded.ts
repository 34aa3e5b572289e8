// The embedded default database: PGlite (PostgreSQL compiled to wasm, in this process) served
// over the PostgreSQL wire protocol, so the rest of the system uses the same adapter-pg code
// path against it as against a real PostgreSQL server.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.ts';
import { RoundTripQueue } from './round-trip-queue.ts';

export {
  acquireDataDirLock,
  type DataDirLock,
  DataDirLockedError,
} from './data-dir-lock.ts';

export const IN_MEMORY = 'memory://';

export interface StartEmbeddedDatabaseOptions {
  /** Directory holding `pgdata/` and `pgdata.lock`, or `memory://` for a throw-away database. */
  dataDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /**
   * Wire connections the server accepts at once. Beyond it the server answers a bare
   * "Too many connections" line, which clients report as a protocol error, so keep it above
   * the sum of every pool pointed at this server.
   */
  maxConnections?: number;
}

export interface EmbeddedDatabase {
  /** postgresql:// URL for adapter-pg, psql or any PostgreSQL client. */
  url: string;
  /** The PGlite instance behind the server, e.g. for dumpDataDir(); query it through `url`. */
  pglite: PGlite;
  close(): Promise<void>;
}

/**
 * How pglite-socket shares one PGlite between connections (read from its source, 0.2.17):
 * PGlite is a single backend, so every wire message from every connection goes through one
 * FIFO queue and runs exclusively. While PGlite reports an open transaction block, only the
 * connection that opened it is served; the others' messages wait, so interactive
 * transactions behave as if serialised. Consequences: no real concurrency (a long query or a
 * slow transaction stalls every client), locks never conflict, and a dropped connection's
 * open transaction is rolled back. So code inside an interactive transaction must never wait
 * on a query made outside it: that query queues behind the transaction, which then stalls
 * until Prisma's transaction timeout (on PostgreSQL it would simply run). Wire messages are
 * queued one at a time, so two connections' extended-protocol round trips (Parse/Bind/
 * Execute/Sync) could in principle interleave outside a transaction block; 4000 concurrent
 * mixed parameterised queries over two pg pools all returned correct results, as does the
 * two-client test in embedded.int.test.ts.
 */
export async function startEmbeddedDatabase({
  dataDir,
  host = '127.0.0.1',
  port = 0,
  maxConnections = 64,
}: StartEmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const inMemory = dataDir === IN_MEMORY;
  let lock: DataDirLock | undefined;
  if (!inMemory) {
    await mkdir(dataDir, { recursive: true });
    lock = await acquireDataDirLock(dataDir);
  }
  let pglite: PGlite | undefined;
  try {
    // A persisted data dir is an ordinary PostgreSQL cluster with a WAL, so opening one left
    // behind by a killed process runs crash recovery like a server restart would.
    pglite = await PGlite.create(inMemory ? {} : { dataDir: join(dataDir, 'pgdata') });
    return await servePGlite(pglite, { host, port, maxConnections, inMemory, onClose: lock?.release });
  } catch (error) {
    await pglite?.close().catch(() => {});
    await lock?.release();
    throw error;
  }
}

export interface ServePGliteOptions extends Omit<StartEmbeddedDatabaseOptions, 'dataDir'> {
  /** Skips the CHECKPOINT on close, which only matters for a persisted data dir. */
  inMemory?: boolean;
  /** Runs after PGlite has closed, e.g. to release the data-dir lock. */
  onClose?: () => Promise<void>;
}

/** Serves an open PGlite over TCP; close() stops the server and closes PGlite. */
export async function servePGlite(
  pglite: PGlite,
  { host = '127.0.0.1', port = 0, maxConnections = 64, inMemory = false, onClose }: ServePGliteOptions = {},
): Promise<EmbeddedDatabase> {
  const server = new PGLiteSocketServer({ db: pglite, host, port, maxConnections });
  // Handlers take the server's queue when they attach, so swapping it before start() covers
  // every connection. Pinned pglite-socket version: see round-trip-queue.ts for why.
  (server as unknown as { queryQueue: RoundTripQueue }).queryQueue = new RoundTripQueue(pglite);
  await server.start();
  const boundPort = Number(server.getServerConn().split(':').pop());
  let closing: Promise<void> | undefined;
  return {
    url: `postgresql://postgres:postgres@${host}:${boundPort}/postgres`,
    pglite,
    close() {
      closing ??= (async () => {
        try {
          await server.stop();
          // close() also checkpoints on shutdown; an explicit CHECKPOINT first means the
          // next start has no WAL to replay even if that final step is interrupted.
          if (!inMemory) await pglite.exec('CHECKPOINT');
          await pglite.close();
        } finally {
          await onClose?.();
        }
      })();
      return closing;
    },
  };
}
