import { join } from 'node:path';
import { errorMessage } from '../errors.ts';
import type { Log } from '../runtime.ts';
import {
  decodeSegment,
  encodeRecord,
  nodeQueueFs,
  type QueueFs,
  type QueueItem,
  readQueueDir,
  type Segment,
  STATE_FILE,
  segmentName,
} from './queue-fs.ts';

export type { QueueItem };

export interface QueueOptions {
  dir: string;
  /** Bound on the segment files together (default 8 MiB). */
  maxBytes?: number;
  /** Bound on the messages waiting (default: none besides bytes). */
  maxCount?: number;
  /** A segment is closed once it would grow past this (default maxBytes / 8, at most 1 MiB). */
  segmentBytes?: number;
  fs?: QueueFs;
  log?: Log;
}

/**
 * A bounded FIFO of messages on disk that survives restarts and crashes.
 *
 * Layout: append-only segment files of JSON lines named by their first seq, and state.json
 * (head, next seq, drop counter) replaced atomically. Invariants a crash relies on:
 * - a record is only visible (peek) once its batch was fsynced; a new segment appears by rename,
 *   whole; a torn last line is cut off when the queue opens;
 * - state.json is written before files it makes obsolete are deleted, so a crash in between
 *   leaves only dead files (deleted on open), never a lost drop count;
 * - the head moves past an item only by ack(), after its publish was acknowledged, or as a drop
 *   that is counted (bound, undeliverable), so a crash at any point re-sends at most what was
 *   not yet acknowledged and loses nothing that was.
 * All changes run one at a time on an internal chain; push() may be called at any time and
 * pushes that arrive while a write is under way go out together in the next one (one fsync).
 */
export class DiskQueue {
  private segments: Segment[] = [];
  private head = 0;
  private nextSeq = 0;
  private droppedCount = 0;
  private live = 0;
  private totalBytes = 0;
  private pending: { item: QueueItem; line: string; done: (seq: number | null) => void }[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  /** Parsed records of the segment peek() last read (the head one, usually also the active one). */
  private cache: { name: string; items: QueueItem[] } | null = null;
  private readonly listeners = new Set<() => void>();
  /** Segments to delete at the next commit(), once state.json no longer needs them. */
  private doomed: Segment[] = [];
  private readonly fs: QueueFs;
  private readonly log: Log;
  readonly maxBytes: number;
  readonly maxCount: number;
  readonly segmentBytes: number;
  private lastError = '';
  /** The last commit() failed: state.json is behind memory until the next one succeeds. */
  private stateDirty = false;

  private constructor(private readonly opts: QueueOptions) {
    this.fs = opts.fs ?? nodeQueueFs;
    this.log = opts.log ?? (() => {});
    this.maxBytes = opts.maxBytes ?? 8 * 1024 * 1024;
    this.maxCount = opts.maxCount ?? Number.POSITIVE_INFINITY;
    this.segmentBytes = Math.min(this.maxBytes, opts.segmentBytes ?? Math.min(1024 * 1024, this.maxBytes / 8));
  }

  static async open(opts: QueueOptions): Promise<DiskQueue> {
    const queue = new DiskQueue(opts);
    await queue.recover();
    return queue;
  }

  /** Messages waiting, not counting pushes still being written. */
  get length(): number {
    return this.live;
  }
  /** Bytes of the segment files (what maxBytes bounds). */
  get bytes(): number {
    return this.totalBytes;
  }
  /** Discarded since the last acknowledged delivery. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Called after records became visible to peek(). */
  onPush(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Appends `body` (JSON) with the next seq. Resolves with the seq once it is on disk, or null
   * when it could not be stored (too large, a write failed): then it counts as dropped. Never rejects.
   */
  push(body: unknown): Promise<number | null> {
    const item = { seq: this.nextSeq++, body };
    return new Promise((done) => {
      this.pending.push({ item, line: encodeRecord(item), done });
      if (this.pending.length === 1) void this.serial(() => this.flush());
    });
  }

  /** The first `max` messages waiting, oldest first. */
  peek(max: number): Promise<QueueItem[]> {
    return this.serial(async () => {
      const out: QueueItem[] = [];
      for (const seg of this.segments) {
        if (out.length >= max) break;
        if ((seg.seqs.at(-1) ?? -1) < this.head) continue;
        for (const item of await this.items(seg)) {
          if (item.seq >= this.head) out.push(item);
          if (out.length >= max) break;
        }
      }
      return out;
    });
  }

  /**
   * Everything up to `throughSeq` was acknowledged: removes it. `reportedDropped` is the drop count
   * the acknowledged message carried, taken off the counter (drops since then stay counted).
   */
  ack(throughSeq: number, reportedDropped = 0): Promise<void> {
    return this.serial(async () => {
      this.advanceHead(throughSeq + 1);
      this.droppedCount = Math.max(0, this.droppedCount - reportedDropped);
      await this.commit();
    });
  }

  /** Drops the message `seq` (one that can never be delivered, e.g. invalid) and everything before it. */
  discard(seq: number): Promise<void> {
    return this.serial(async () => {
      this.droppedCount += this.advanceHead(seq + 1);
      await this.commit();
    });
  }

  /** Resolves once everything pushed so far is written (or dropped). */
  idle(): Promise<void> {
    return this.serial(async () => {});
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => {});
    return run;
  }

  private path = (name: string) => join(this.opts.dir, name);

  private async flush(): Promise<void> {
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    const data = batch.map((b) => b.line).join('');
    const bytes = Buffer.byteLength(data);
    if (bytes > this.maxBytes || batch.length > this.maxCount) {
      this.droppedCount += batch.length;
      this.warn(`${batch.length} message(s) larger than the whole queue dropped`);
      await this.commit();
      for (const b of batch) b.done(null);
      return;
    }
    let dropped = 0;
    if (this.live + batch.length > this.maxCount)
      dropped += this.advanceHead(this.nthLiveSeq(this.live + batch.length - this.maxCount) + 1);
    const active = this.segments.at(-1);
    const rotate = !active || active.sealed || active.bytes + bytes > this.segmentBytes;
    if (active && rotate) active.sealed = true;
    // Whole segments go, oldest first: only deleting a file frees its space.
    while (this.totalBytes + bytes > this.maxBytes && this.segments.length > (rotate ? 0 : 1)) {
      const oldest = this.segments[0] as Segment;
      dropped += this.advanceHead((oldest.seqs.at(-1) ?? -1) + 1);
      if (this.segments[0] === oldest) break; // cannot happen: it is dead and not the open one
    }
    this.droppedCount += dropped;
    if (dropped > 0) await this.commit();

    const items = batch.map((b) => b.item);
    const seqs = items.map((i) => i.seq);
    try {
      if (rotate) {
        await this.fs.writeAtomic(this.path(segmentName(seqs[0] as number)), data);
        this.segments.push({ name: segmentName(seqs[0] as number), seqs, bytes, sealed: false });
      } else {
        const seg = active as Segment;
        try {
          await this.fs.append(this.path(seg.name), data);
        } catch (e) {
          // A partial append must not stay in front of later lines; the segment takes no more either way.
          seg.sealed = true;
          await this.fs.truncate(this.path(seg.name), seg.bytes).catch(() => {});
          throw e;
        }
        seg.seqs.push(...seqs);
        seg.bytes += bytes;
        if (this.cache?.name === seg.name) this.cache.items.push(...items);
      }
    } catch (e) {
      this.droppedCount += batch.length;
      this.warn(`${batch.length} message(s) dropped: cannot write to ${this.opts.dir}: ${errorMessage(e)}`);
      await this.commit();
      for (const b of batch) b.done(null);
      return;
    }
    this.totalBytes += bytes;
    this.live += batch.length;
    this.lastError = '';
    if (this.stateDirty) await this.commit(); // the drops counted while the disk was full
    for (const b of batch) b.done(b.item.seq);
    for (const listener of this.listeners) listener();
  }

  /**
   * Moves the head to `seq` (never back) and lets go of segments wholly behind it; returns how
   * many waiting messages it passed.
   */
  private advanceHead(seq: number): number {
    let passed = 0;
    if (seq > this.head) {
      for (const seg of this.segments) {
        if ((seg.seqs[0] ?? 0) >= seq) break;
        for (const s of seg.seqs) if (s >= this.head && s < seq) passed++;
      }
      this.head = seq;
      this.live -= passed;
    }
    // Fully passed segments go, except an open one still taking appends.
    while (this.segments.length > 0) {
      const first = this.segments[0] as Segment;
      const dead = (first.seqs.at(-1) ?? -1) < this.head;
      if (!dead || (this.segments.length === 1 && !first.sealed)) break;
      this.unlinkLater(this.segments.shift() as Segment);
    }
    return passed;
  }

  /** The seq of the n-th (1-based) message waiting. */
  private nthLiveSeq(n: number): number {
    let seen = 0;
    for (const seg of this.segments) {
      for (const s of seg.seqs) if (s >= this.head && ++seen === n) return s;
    }
    return this.nextSeq;
  }

  private unlinkLater(seg: Segment) {
    this.totalBytes -= seg.bytes;
    if (this.cache?.name === seg.name) this.cache = null;
    this.doomed.push(seg);
  }

  /** Persists head and counters, then deletes the files that made obsolete (see the class invariants). */
  private async commit(): Promise<void> {
    const state = { v: 1 as const, head: this.head, nextSeq: this.nextSeq, dropped: this.droppedCount };
    try {
      await this.fs.writeAtomic(this.path(STATE_FILE), `${JSON.stringify(state)}\n`);
      this.stateDirty = false;
    } catch (e) {
      this.stateDirty = true;
      // Keeps working from memory; the next commit writes it all. A crash meanwhile re-sends acknowledged ones.
      this.warn(`cannot save ${this.path(STATE_FILE)}: ${errorMessage(e)}`);
    }
    // Deleted even when the state could not be saved: on a full disk, freeing space comes first.
    for (const seg of this.doomed.splice(0)) await this.fs.remove(this.path(seg.name)).catch(() => {});
  }

  private async items(seg: Segment): Promise<QueueItem[]> {
    if (this.cache?.name === seg.name) return this.cache.items;
    const text = (await this.fs.read(this.path(seg.name))) ?? '';
    const wanted = new Set(seg.seqs);
    const items = decodeSegment(text).items.filter((i) => wanted.has(i.seq));
    this.cache = { name: seg.name, items };
    return items;
  }

  /** The same warning once until a write succeeds again: a full disk must not flood the log. */
  private warn(message: string) {
    const kind = message.replace(/^\d+/, '');
    if (kind !== this.lastError) this.log(`telemetry queue: ${message}`);
    this.lastError = kind;
  }

  private async recover(): Promise<void> {
    const found = await readQueueDir(this.fs, this.opts.dir, this.log);
    if (found.state) {
      this.head = found.state.head;
      this.nextSeq = found.state.nextSeq;
      this.droppedCount = found.state.dropped;
    }
    this.segments = found.segments;
    this.totalBytes = found.segments.reduce((n, s) => n + s.bytes, 0);
    this.live = found.segments.reduce((n, s) => n + s.seqs.length, 0);
    const lastSeq = found.segments.at(-1)?.seqs.at(-1) ?? -1;
    this.nextSeq = Math.max(this.nextSeq, this.head, lastSeq + 1);
    // Counts what is behind the head out of `live`, and lets go of segments a crash left behind
    // after the head moved past them.
    const head = this.head;
    this.head = 0;
    this.advanceHead(head);
    await this.commit();
  }
}
