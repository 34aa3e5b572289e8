import { applyStateReport } from '@edgefleet/core/rollouts/reports';
import type { Db } from '@edgefleet/db/client';
import { MAX_STATE_REPORT_BYTES, type TStateReport, ZStateReport } from '@edgefleet/protocol/rollout';
import type { Log } from './presence.ts';

export interface StateReportCounts {
  /** Valid reports applied to the database. */
  applied: number;
  /** Too large, not JSON, or not a ZStateReport: dropped. */
  invalid: number;
  /** Valid, but core failed to apply them (database trouble): dropped, the next report repairs it. */
  failed: number;
}

type Apply = (db: Db, deviceId: string, report: TStateReport) => Promise<void>;

/**
 * Reports applied at once, over all devices. Each apply is a database transaction; when a
 * rollout moves 1,000 devices through their steps together, unbounded applies queue inside
 * the client's small pool until Prisma gives up starting them ("Unable to start a transaction
 * in the given time", 5% of reports dropped in a 1,000-device simulation on the embedded
 * database). Waiting here instead costs nothing and drops nothing.
 */
export const STATE_REPORT_CONCURRENCY = 2;

/**
 * Agent state reports (`edgefleet/devices/<id>/state`) into core. Reports of one device are
 * applied in arrival order, one at a time: each is a full snapshot, and applying an older one
 * after a newer one would move rollout rows backwards. At most `concurrency` reports (of
 * different devices) are applied at once; the rest wait their turn in memory. A bad report is
 * counted and logged in one line; nothing a device sends can throw out of here.
 */
export class StateIngest {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly tally: StateReportCounts = { applied: 0, invalid: 0, failed: 0 };
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly db: Db,
    private readonly log: Log,
    private readonly apply: Apply = applyStateReport,
    private readonly concurrency = STATE_REPORT_CONCURRENCY,
  ) {}

  /** Runs `work` once fewer than `concurrency` applies are in flight (first come, first served). */
  private async limited(work: () => Promise<void>): Promise<void> {
    if (this.active >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      await work();
    } finally {
      // The slot passes straight to the next waiter, so `active` never dips and lets a newcomer jump the queue.
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }

  receive(deviceId: string, payload: Buffer): void {
    const report = this.parse(deviceId, payload);
    if (!report) return;
    const previous = this.chains.get(deviceId) ?? Promise.resolve();
    const next = previous
      .then(() => this.limited(() => this.apply(this.db, deviceId, report)))
      .then(
        () => {
          this.tally.applied += 1;
        },
        (e: unknown) => {
          this.tally.failed += 1;
          this.log(`state report of ${deviceId} not applied: ${String(e)}`);
        },
      );
    this.chains.set(deviceId, next);
    void next.then(() => {
      if (this.chains.get(deviceId) === next) this.chains.delete(deviceId);
    });
  }

  counts(): StateReportCounts {
    return { ...this.tally };
  }

  /** Waits for reports already received. */
  async close(): Promise<void> {
    await Promise.all(this.chains.values());
  }

  private parse(deviceId: string, payload: Buffer): TStateReport | null {
    const invalid = (why: string) => {
      this.tally.invalid += 1;
      this.log(`invalid state report from ${deviceId}: ${why}`);
      return null;
    };
    if (payload.length > MAX_STATE_REPORT_BYTES) {
      return invalid(`${payload.length} bytes, over the ${MAX_STATE_REPORT_BYTES}-byte limit`);
    }
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      return invalid('not JSON');
    }
    const parsed = ZStateReport.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return invalid(`${issue?.path.join('.') || 'report'}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  }
}
