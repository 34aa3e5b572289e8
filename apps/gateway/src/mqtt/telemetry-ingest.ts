import type { DeviceEventInput } from '@edgefleet/core/health/events';
import {
  type TelemetryItem,
  type WriteCounts,
  writeDeviceEvents,
  writeTelemetryBatch,
} from '@edgefleet/core/health/ingest';
import type { Db } from '@edgefleet/db/client';
import { MAX_TELEMETRY_BYTES, ZDeviceEvent, ZTelemetry } from '@edgefleet/protocol/telemetry';

export interface IngestStats {
  received: number; // messages that arrived on …/telemetry and …/events
  written: number; // messages committed to the database (new rows)
  duplicates: number; // valid, but (device, seq) was already stored
  invalid: Record<'too_large' | 'not_json' | 'schema', number>;
  rateLimited: number; // dropped by the per-device rate limit
  rejectedFull: number; // refused, not acknowledged, because the buffer and the hold queue were full
  held: number; // messages that had to wait for room in a full buffer (not yet acknowledged)
  heldDepth: number; // messages waiting for room now
  holdLimit: number;
  writeFailures: number; // batch writes that failed (and were retried)
  bufferDepth: number; // messages waiting to be written
  bufferLimit: number;
  lastWriteError: string | null;
}

export type IngestStream = 'telemetry' | 'events';
export type InvalidReason = keyof IngestStats['invalid'];

/** The two batch writers; tests hand in ones that fail for a while. */
export interface IngestWriter {
  telemetry(db: Db, items: TelemetryItem[]): Promise<WriteCounts>;
  events(db: Db, events: DeviceEventInput[]): Promise<WriteCounts>;
}

export interface IngestTuning {
  /** Messages buffered (waiting for a batch or being written) at most (default 50,000). */
  bufferLimit?: number;
  /**
   * Messages that arrive while the buffer is full wait, unacknowledged, for room (default
   * 50,000): the device's in-flight window fills and it stops sending, which is backpressure
   * rather than a reconnect storm. Beyond this many waiting, new messages are refused.
   */
  holdLimit?: number;
  /** Most messages per write (default 2,000). */
  batchSize?: number;
  /** Longest a message waits for its batch to start (default 100 ms). */
  /**
   * Batches written at once (default 2): while one is in the database the next is already on its
   * way, and acknowledging a committed batch (a PUBACK per message) does not hold up the next.
   */
  concurrency?: number;
  flushMs?: number;
  /** Per-device sustained rate (messages/s, default 10) and burst (default 60). */
  ratePerSecond?: number;
  rateBurst?: number;
  /**
   * Over the rate, a message is still taken while the device's debt is at most this long; its
   * acknowledgement is held back that long, which throttles a well-behaved sender (the agent
   * keeps 8 unacknowledged at most) without losing its backlog. Beyond it: dropped, counted.
   */
  rateMaxDelayMs?: number;
  /** Backoff between retries of a failed write (default 100 ms doubling to 5 s). */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export interface TelemetryIngestOptions extends IngestTuning {
  db: Db;
  log?: (message: string) => void;
  /** Publish-arrival → commit latency of each message in a committed batch (ms). */
  onCommitted?: (lagsMs: number[]) => void;
  writer?: IngestWriter;
}

/** Done callback, Aedes style: called once the message is stored (or dropped for good), or with an error if refused. */
export type IngestDone = (error?: Error | null) => void;

interface Pending {
  telemetry: TelemetryItem | null;
  event: DeviceEventInput | null;
  arrivedAt: number;
  releaseAt: number;
  done: IngestDone | null;
}

interface Held {
  deviceId: string;
  stream: IngestStream;
  payload: Buffer;
  done: IngestDone;
}

interface Bucket {
  tokens: number;
  at: number;
}

const realWriter: IngestWriter = { telemetry: writeTelemetryBatch, events: writeDeviceEvents };
const LOG_WINDOW_MS = 10_000;
const LOG_LINES_PER_WINDOW = 10;

/**
 * Telemetry and events from devices: checked (size, JSON, schema, per-device rate), buffered, and
 * written in batches of up to `batchSize` messages, one statement per table. The callback of a
 * message runs only after its batch committed, and the broker sends the PUBACK only then, so an
 * acknowledged message is a stored one. A failed write keeps its batch and retries with backoff;
 * meanwhile the buffer fills. At its limit new messages wait, unacknowledged and in arrival order,
 * for room: devices stop at their in-flight window (the agent keeps 8), which slows the fleet to
 * what the database takes instead of cutting every device at once (10k TLS reconnects would
 * only add load). Beyond `holdLimit` waiting, new messages are refused (not acknowledged, the
 * connection closed; the device keeps them in its on-disk queue and sends them again). Invalid
 * messages are acknowledged and dropped: sending them again would not make them valid.
 */
export class TelemetryIngest {
  private readonly db: Db;
  private readonly log: (message: string) => void;
  private readonly writer: IngestWriter;
  private readonly onCommitted?: (lagsMs: number[]) => void;
  private readonly limit: number;
  private readonly holdLimit: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly flushMs: number;
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxDebt: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;

  private pending: Pending[] = [];
  private held: Held[] = [];
  private heldHead = 0;
  private readonly writing = new Set<Pending[]>();
  private writingCount = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerSoon = false;
  private retryDelay = 0;
  private consecutiveFailures = 0;
  private closed = false;
  private idle: (() => void) | null = null;
  private readonly buckets = new Map<string, Bucket>();
  private readonly stats: IngestStats;
  private logWindowStart = 0;
  private logLines = 0;
  private logSuppressed = 0;

  constructor(opts: TelemetryIngestOptions) {
    this.db = opts.db;
    this.log = opts.log ?? ((m) => console.warn(`[ingest] ${m}`));
    this.writer = opts.writer ?? realWriter;
    this.onCommitted = opts.onCommitted;
    this.limit = opts.bufferLimit ?? 50_000;
    this.holdLimit = opts.holdLimit ?? 50_000;
    this.batchSize = opts.batchSize ?? 2000;
    this.concurrency = Math.max(1, opts.concurrency ?? 2);
    this.flushMs = opts.flushMs ?? 100;
    this.rate = opts.ratePerSecond ?? 10;
    this.burst = opts.rateBurst ?? 60;
    this.maxDebt = (this.rate * (opts.rateMaxDelayMs ?? 1000)) / 1000;
    this.retryMinMs = opts.retryMinMs ?? 100;
    this.retryMaxMs = opts.retryMaxMs ?? 5000;
    this.stats = {
      received: 0,
      written: 0,
      duplicates: 0,
      invalid: { too_large: 0, not_json: 0, schema: 0 },
      rateLimited: 0,
      rejectedFull: 0,
      held: 0,
      heldDepth: 0,
      holdLimit: this.holdLimit,
      writeFailures: 0,
      bufferDepth: 0,
      bufferLimit: this.limit,
      lastWriteError: null,
    };
  }

  /** Promise form of `accept`: resolves once stored or dropped, rejects if refused (buffer full). */
  receive(deviceId: string, stream: IngestStream, payload: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.accept(deviceId, stream, payload, (e) => (e ? reject(e) : resolve())));
  }

  /** The broker's hot path: no promise per message, one JSON parse and one schema check. */
  accept(deviceId: string, stream: IngestStream, payload: Buffer, done: IngestDone): void {
    this.stats.received++;
    if (this.closed) {
      done(new Error('ingest is shutting down'));
      return;
    }
    // Once anything waits, newcomers queue behind it (arrival order, and no overtaking).
    if (this.depth() >= this.limit || this.heldCount() > 0) {
      if (this.heldCount() >= this.holdLimit) {
        this.stats.rejectedFull++;
        done(new Error(`ingest buffer full (${this.limit} buffered, ${this.holdLimit} waiting)`));
        return;
      }
      this.stats.held++;
      this.held.push({ deviceId, stream, payload, done });
      return;
    }
    this.admit(deviceId, stream, payload, done);
  }

  private admit(deviceId: string, stream: IngestStream, payload: Buffer, done: IngestDone): void {
    if (payload.length > MAX_TELEMETRY_BYTES) {
      this.invalid(deviceId, stream, 'too_large', done, `${payload.length} bytes`);
      return;
    }
    const now = Date.now();
    const delay = this.take(deviceId, now);
    if (delay < 0) {
      this.stats.rateLimited++;
      this.note(`${deviceId}: ${stream} message over the rate limit dropped`);
      done();
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      this.invalid(deviceId, stream, 'not_json', done);
      return;
    }
    const entry: Pending = { telemetry: null, event: null, arrivedAt: now, releaseAt: now + delay, done };
    if (stream === 'telemetry') {
      const parsed = ZTelemetry.safeParse(body);
      if (!parsed.success) {
        this.invalid(deviceId, stream, 'schema', done, parsed.error.issues[0]);
        return;
      }
      entry.telemetry = { deviceId, receivedAt: new Date(now), telemetry: parsed.data };
    } else {
      const parsed = ZDeviceEvent.safeParse(body);
      if (!parsed.success) {
        this.invalid(deviceId, stream, 'schema', done, parsed.error.issues[0]);
        return;
      }
      const e = parsed.data;
      entry.event = {
        deviceId,
        seq: e.seq,
        ts: new Date(e.ts),
        source: 'device',
        kind: e.kind,
        severity: e.severity,
        message: e.message,
        model: e.model,
        version: e.version,
      };
    }
    this.push(entry);
  }

  /**
   * A control-plane event (connects, disconnects; seq null) written with the next batch rather
   * than one insert each: 10k devices reconnecting after a gateway restart cost a few statements.
   * Dropped, with a log line, if the buffer is full.
   */
  controlEvent(event: DeviceEventInput): void {
    if (this.closed) return;
    if (this.depth() >= this.limit) {
      this.note(`${event.deviceId}: ${event.kind} event not recorded (buffer full)`);
      return;
    }
    const now = Date.now();
    this.push({ telemetry: null, event, arrivedAt: now, releaseAt: now, done: null });
  }

  /** The device is gone: its rate-limit state need not be kept. */
  forget(deviceId: string): void {
    this.buckets.delete(deviceId);
  }

  snapshot(): IngestStats {
    return {
      ...this.stats,
      invalid: { ...this.stats.invalid },
      bufferDepth: this.depth(),
      heldDepth: this.heldCount(),
    };
  }

  /** True while the last write failed (until one succeeds). */
  get degraded(): boolean {
    return this.consecutiveFailures > 0;
  }

  /** Writes what is buffered (one more try each for a failing database), then refuses the rest. */
  async close(timeoutMs = 5000): Promise<void> {
    this.closed = true;
    const deadline = Date.now() + timeoutMs;
    while ((this.pending.length > 0 || this.writing.size > 0) && Date.now() < deadline) {
      if (this.writing.size < this.concurrency && this.pending.length > 0) {
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        this.timerSoon = false;
        void this.flush();
      }
      await new Promise<void>((resolve) => {
        this.idle = resolve;
        setTimeout(resolve, 50).unref();
      });
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const left = [...[...this.writing].flat(), ...this.pending];
    this.writing.clear();
    this.writingCount = 0;
    this.pending = [];
    for (const p of left) {
      // A write still under way may commit later: it must not acknowledge what was refused here.
      const done = p.done;
      p.done = null;
      done?.(new Error('gateway shutting down'));
    }
    const held = this.held.slice(this.heldHead);
    this.held = [];
    this.heldHead = 0;
    for (const h of held) h.done(new Error('gateway shutting down'));
  }

  private depth(): number {
    return this.pending.length + this.writingCount;
  }

  private heldCount(): number {
    return this.held.length - this.heldHead;
  }

  /** Room in the buffer again: the longest-waiting messages go in (checked as they would have been). */
  private admitHeld(): void {
    while (this.heldHead < this.held.length && this.depth() < this.limit) {
      const h = this.held[this.heldHead] as Held;
      this.held[this.heldHead] = undefined as unknown as Held;
      this.heldHead++;
      this.admit(h.deviceId, h.stream, h.payload, h.done);
    }
    if (this.heldHead === this.held.length) {
      this.held = [];
      this.heldHead = 0;
    } else if (this.heldHead > 4096 && this.heldHead * 2 > this.held.length) {
      this.held = this.held.slice(this.heldHead);
      this.heldHead = 0;
    }
  }

  /** Token bucket: 0 = go, > 0 = go but hold the ack this long (ms), < 0 = drop. */
  private take(deviceId: string, now: number): number {
    let b = this.buckets.get(deviceId);
    if (!b) {
      b = { tokens: this.burst, at: now };
      this.buckets.set(deviceId, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.rate) / 1000);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    if (b.tokens - 1 < -this.maxDebt) return -1;
    b.tokens -= 1;
    return Math.ceil((-b.tokens * 1000) / this.rate);
  }

  private invalid(deviceId: string, stream: IngestStream, reason: InvalidReason, done: IngestDone, detail?: unknown) {
    this.stats.invalid[reason]++;
    const what = detail === undefined ? '' : `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`;
    this.note(`invalid ${stream} message from ${deviceId} dropped (${reason})${what}`);
    done();
  }

  /** Rate-limited logging: a flood of bad messages is a few lines per window and a count. */
  private note(line: string): void {
    const now = Date.now();
    if (now - this.logWindowStart >= LOG_WINDOW_MS) {
      if (this.logSuppressed > 0) this.log(`${this.logSuppressed} more ingest messages like these suppressed`);
      this.logWindowStart = now;
      this.logLines = 0;
      this.logSuppressed = 0;
    }
    if (this.logLines < LOG_LINES_PER_WINDOW) {
      this.logLines++;
      this.log(line);
    } else {
      this.logSuppressed++;
    }
  }

  private push(entry: Pending): void {
    this.pending.push(entry);
    this.schedule();
  }

  private schedule(): void {
    if (this.writing.size >= this.concurrency || this.pending.length === 0) return;
    // A full batch goes at once (nothing more can join it); this also starts the next write
    // before a committed batch's acknowledgements are sent.
    if (this.pending.length >= this.batchSize) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.timerSoon = false;
      void this.flush();
      this.schedule();
      return;
    }
    if (this.timerSoon) return;
    const waited = Date.now() - (this.pending[0] as Pending).arrivedAt;
    const soon = waited >= this.flushMs;
    if (this.timer && !soon) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerSoon = soon;
    // Even "now" waits for the next macrotask, so the rest of a socket chunk joins the batch.
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerSoon = false;
        void this.flush();
      },
      soon ? 0 : this.flushMs - waited,
    );
  }

  private async flush(): Promise<void> {
    if (this.writing.size >= this.concurrency || this.pending.length === 0) return;
    const batch = this.pending.length <= this.batchSize ? this.pending : this.pending.slice(0, this.batchSize);
    this.pending = batch === this.pending ? [] : this.pending.slice(this.batchSize);
    this.writing.add(batch);
    this.writingCount += batch.length;
    const telemetry: TelemetryItem[] = [];
    const events: DeviceEventInput[] = [];
    let controlEvents = 0;
    for (const p of batch) {
      if (p.telemetry) telemetry.push(p.telemetry);
      else if (p.event) {
        events.push(p.event);
        if (!p.done) controlEvents++;
      }
    }
    // Written parts are not written again on a retry (events with seq null are not idempotent).
    let telemetryCounts: WriteCounts | null = telemetry.length === 0 ? { written: 0, duplicates: 0 } : null;
    let eventCounts: WriteCounts | null = events.length === 0 ? { written: 0, duplicates: 0 } : null;
    for (;;) {
      // receivedAt is when the rows are written, not when the message arrived: the rollup job
      // reads by receivedAt with a safety margin of minutes, and a batch that waited out a
      // database outage must not carry a time the rollups have already passed.
      const writtenAt = new Date();
      for (const item of telemetry) item.receivedAt = writtenAt;
      const [t, e] = await Promise.allSettled([
        telemetryCounts ?? this.writer.telemetry(this.db, telemetry),
        eventCounts ?? this.writer.events(this.db, events),
      ]);
      if (t.status === 'fulfilled') telemetryCounts = t.value;
      if (e.status === 'fulfilled') eventCounts = e.value;
      if (telemetryCounts && eventCounts) break;
      const failure: unknown = t.status === 'rejected' ? t.reason : (e as PromiseRejectedResult).reason;
      this.stats.writeFailures++;
      this.consecutiveFailures++;
      this.stats.lastWriteError = failure instanceof Error ? failure.message : String(failure);
      this.retryDelay = Math.min(this.retryMaxMs, this.retryDelay ? this.retryDelay * 2 : this.retryMinMs);
      if (this.consecutiveFailures === 1 || this.consecutiveFailures % 20 === 0) {
        this.log(
          `ingest write of ${batch.length} messages failed (${this.consecutiveFailures} in a row), retrying: ${this.stats.lastWriteError}`,
        );
      }
      if (this.closed) {
        // Shutting down with a failing database: not stored, so not acknowledged.
        for (const p of batch) p.done?.(new Error('gateway shutting down'));
        return this.settle(batch);
      }
      await new Promise((r) => setTimeout(r, this.retryDelay));
    }
    if (this.consecutiveFailures > 0)
      this.log(`ingest writes succeed again after ${this.consecutiveFailures} failures`);
    this.consecutiveFailures = 0;
    this.retryDelay = 0;
    const deviceEventsWritten = Math.max(0, eventCounts.written - controlEvents);
    this.stats.written += telemetryCounts.written + deviceEventsWritten;
    this.stats.duplicates += telemetryCounts.duplicates + (events.length - controlEvents - deviceEventsWritten);
    // Room again: the next batch (and any held messages) go before this one's acknowledgements.
    this.settle(batch);
    const committedAt = Date.now();
    const lags: number[] = [];
    for (const p of batch) {
      if (!p.done) continue;
      lags.push(committedAt - p.arrivedAt);
      if (p.releaseAt > committedAt) {
        const done = p.done;
        setTimeout(() => done(), p.releaseAt - committedAt);
      } else p.done();
    }
    if (lags.length > 0) this.onCommitted?.(lags);
  }

  private settle(batch: Pending[]): void {
    if (this.writing.delete(batch)) this.writingCount -= batch.length;
    const idle = this.idle;
    this.idle = null;
    idle?.();
    if (this.closed) return;
    this.admitHeld();
    this.schedule();
  }
}
