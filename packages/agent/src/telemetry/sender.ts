import { MAX_TELEMETRY_BYTES } from '@edgefleet/protocol/telemetry';
import type { z } from 'zod';
import { errorMessage } from '../errors.ts';
import type { DeviceLink } from '../mqtt-link.ts';
import { abortable, type Clock, isAbort, type Log, withTimeout } from '../runtime.ts';
import type { DiskQueue } from './queue.ts';

/** One queue and where its messages go. */
export interface Stream {
  name: string;
  queue: DiskQueue;
  topic: string;
  /** The message as published: the stored body with `seq` and `dropped` added. */
  schema: z.ZodType;
}

export interface SenderOptions {
  streams: Stream[];
  clock: Clock;
  log: Log;
  /** Publishes in flight at once per stream (default 8). */
  window?: number;
  /** How long a publish may wait for its PUBACK (default 10 s). */
  ackTimeoutMs?: number;
  /** Pause after a failed publish before trying again on the same connection (default 5 s). */
  retryMs?: number;
}

/**
 * Drains the queues over a connection: in order, a window of publishes at a time, and only
 * what the broker acknowledged is removed. Offline (detached) it does nothing; the queues keep
 * filling. A publish that failed is sent again (the ones after it may arrive twice; the control
 * plane drops duplicates by seq).
 */
export class Sender {
  private session: { link: DeviceLink; controller: AbortController; pump: Promise<void> } | null = null;
  private wake: (() => void) | null = null;
  private readonly progress = new Set<() => void>();

  constructor(private readonly opts: SenderOptions) {
    for (const s of opts.streams) s.queue.onPush(() => this.poke());
  }

  get attached(): boolean {
    return this.session !== null;
  }

  attach(link: DeviceLink): void {
    if (this.session) throw new Error('the telemetry sender is already attached');
    const controller = new AbortController();
    this.session = { link, controller, pump: Promise.resolve() };
    this.session.pump = this.pump(link, controller.signal);
  }

  /** Stops sending; what is in flight and not yet acknowledged stays queued. */
  async detach(): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.session = null;
    session.controller.abort();
    this.poke();
    await session.pump;
  }

  /** True once every queue is empty, false if that did not happen within `ms` (or while detached). */
  async drained(ms: number): Promise<boolean> {
    const empty = () => this.opts.streams.every((s) => s.queue.length === 0);
    const deadline = Date.now() + ms;
    while (!empty()) {
      const left = deadline - Date.now();
      if (left <= 0 || !this.session) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.progress.add(done);
      });
    }
    return true;
  }

  private poke() {
    this.wake?.();
  }

  private notifyProgress() {
    for (const done of this.progress) done();
    this.progress.clear();
  }

  private async pump(link: DeviceLink, signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let sent = 0;
      let failed = false;
      for (const stream of this.opts.streams) {
        if (signal.aborted) break;
        try {
          sent += await this.sendBatch(stream, link, signal);
        } catch (e) {
          if (isAbort(e) || signal.aborted) break;
          failed = true;
          if (failures++ === 0) this.opts.log(`telemetry not delivered yet (kept queued): ${errorMessage(e)}`);
        }
      }
      this.notifyProgress();
      if (signal.aborted) break;
      if (failed) {
        await this.opts.clock.sleep(this.opts.retryMs ?? 5000, signal).catch(() => {});
      } else if (sent === 0) {
        await this.idle(signal);
      } else {
        failures = 0;
      }
    }
  }

  /** Waits for a push or the end of the session. */
  private idle(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.wake = null;
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
      // A push that landed between the last peek and now must not wait for the next one.
      if (this.opts.streams.some((s) => s.queue.length > 0)) done();
    });
  }

  /** Publishes the next window of one stream; returns how many were acknowledged. Throws if one failed. */
  private async sendBatch(stream: Stream, link: DeviceLink, signal: AbortSignal): Promise<number> {
    const { queue } = stream;
    const items = await queue.peek(this.opts.window ?? 8);
    if (items.length === 0) return 0;
    const dropped = queue.dropped;
    const payloads: string[] = [];
    for (const [i, item] of items.entries()) {
      const message = { ...(item.body as object), seq: item.seq, dropped: i === 0 ? dropped : 0 };
      const parsed = stream.schema.safeParse(message);
      const payload = JSON.stringify(message);
      if (parsed.success && Buffer.byteLength(payload) <= MAX_TELEMETRY_BYTES) {
        payloads.push(payload);
        continue;
      }
      if (i > 0) break; // sent after the ones before it are acknowledged
      // Stored by an older agent, or its timestamp no longer acceptable: it can never be delivered.
      const why = parsed.success ? 'too large' : (parsed.error.issues[0]?.message ?? 'invalid');
      this.opts.log(`telemetry: dropped ${stream.name} message ${item.seq} that cannot be delivered: ${why}`);
      await queue.discard(item.seq);
      return 1;
    }
    const timeout = this.opts.ackTimeoutMs ?? 10_000;
    // Issued in order on one connection, so the broker receives them in order.
    const results = await abortable(
      Promise.allSettled(payloads.map((p) => withTimeout(link.publish(stream.topic, p), timeout))),
      signal,
    );
    const acked = results.findIndex((r) => r.status === 'rejected');
    const count = acked < 0 ? results.length : acked;
    if (count > 0) await queue.ack((items[count - 1] as { seq: number }).seq, dropped);
    const failure = results[count];
    if (failure?.status === 'rejected') throw failure.reason;
    return count;
  }
}
