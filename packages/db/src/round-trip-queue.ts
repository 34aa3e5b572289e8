import type { PGlite } from '@electric-sql/pglite';

/**
 * The message queue pglite-socket uses to share one PGlite between connections, replaced so
 * that an extended-protocol round trip is atomic.
 *
 * Why: pglite-socket (0.2.17) queues each wire message on its own and a connection enqueues
 * its next message only after the previous one ran. Between connection A's Parse and its Bind,
 * connection B's Parse can run and replace the unnamed prepared statement, so A binds to B's
 * statement ("bind message supplies 2 parameters, but prepared statement requires 3"). Seen
 * with the web, gateway and launcher sharing the embedded database.
 *
 * Invariant: once a connection sends Parse/Bind/Describe/Execute/Close/Flush, only that
 * connection is served until its Sync has run; and, as before, while PGlite is inside a
 * transaction block only the connection that opened it is served. Other connections' messages
 * wait in order. A connection that goes away releases both.
 */
const ROUND_TRIP = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));
const SYNC = 'S'.charCodeAt(0);

interface Item {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (e: unknown) => void;
}

export class RoundTripQueue {
  private queue: Item[] = [];
  private processing = false;
  /** Connection whose extended-protocol round trip is open (no Sync yet). */
  private roundTripOwner: number | null = null;
  private lastHandlerId: number | null = null;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      if (!this.processing) void this.processQueue();
    });
  }

  private owner(): number | null {
    if (this.roundTripOwner !== null) return this.roundTripOwner;
    if (this.db.isInTransaction() && this.lastHandlerId !== null) return this.lastHandlerId;
    return null;
  }

  private next(): Item | undefined {
    const owner = this.owner();
    if (owner === null) return this.queue.shift();
    const index = this.queue.findIndex((item) => item.handlerId === owner);
    // The owner's next message has not arrived yet: wait for it, serve no one else.
    return index === -1 ? undefined : this.queue.splice(index, 1)[0];
  }

  async processQueue(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      for (let item = this.next(); item; item = this.next()) {
        const type = item.message[0] ?? 0;
        if (ROUND_TRIP.has(type)) this.roundTripOwner = item.handlerId;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (e) {
          item.reject(e);
          continue;
        } finally {
          if (type === SYNC && this.roundTripOwner === item.handlerId) this.roundTripOwner = null;
          this.lastHandlerId = item.handlerId;
        }
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((item) => {
      if (item.handlerId !== handlerId) return true;
      item.reject(new Error('Handler disconnected'));
      return false;
    });
    if (this.roundTripOwner === handlerId) this.roundTripOwner = null;
  }

  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.db.isInTransaction() && this.lastHandlerId === handlerId) {
      await this.db.exec('ROLLBACK');
      this.lastHandlerId = null;
    }
    if (this.roundTripOwner === handlerId) this.roundTripOwner = null;
    await this.processQueue();
  }
}
