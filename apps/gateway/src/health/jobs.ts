import { evaluateAlerts } from '@edgefleet/core/health/alerts/evaluate';
import { sweepLiveness } from '@edgefleet/core/health/liveness';
import { runRetention } from '@edgefleet/core/health/retention';
import { runRollups } from '@edgefleet/core/health/rollups';
import { deliverDueWebhooks } from '@edgefleet/core/health/webhooks/sender';
import type { Db } from '@edgefleet/db/client';

/**
 * The health jobs that must run on exactly one gateway: webhook delivery, alert evaluation, the
 * liveness sweep, rollups and retention. The engine leader calls `onTick()` from its tick, so
 * they run where the rollout engine runs and stop when leadership moves.
 *
 * `onTick` only starts what is due and returns at once: a job (retention over a large backlog,
 * a slow webhook receiver) never delays the rollout engine's tick, and each job has at most one
 * run in flight. A failed run is logged and tried again at its next interval.
 */

export type HealthJobName = 'webhooks' | 'alerts' | 'liveness' | 'rollups' | 'retention';

export const DEFAULT_INTERVALS_MS: Record<HealthJobName, number> = {
  webhooks: 1000,
  alerts: 15_000,
  liveness: 30_000,
  rollups: 60_000,
  retention: 3_600_000,
};

export interface HealthJobsOptions {
  db: Db;
  log: (message: string) => void;
  /** The control plane's secret: it opens the webhooks' signing keys. Without it no webhook is sent. */
  secret?: string;
  /** The dashboard's URL, for links in notifications. */
  publicUrl?: string;
  retention?: { rawDays: number; rollupDays: number };
  /** Seconds without a heartbeat before an "online" device is set offline (default 90: three heartbeats). */
  livenessSeconds?: number;
  /** How far behind now rollups stop (see core's rollups.ts; default 120 s). */
  rollupSafetySeconds?: number;
  intervalsMs?: Partial<Record<HealthJobName, number>>;
  now?: () => Date;
}

export class HealthJobs {
  private readonly intervals: Record<HealthJobName, number>;
  private readonly lastStart = new Map<HealthJobName, number>();
  private readonly running = new Map<HealthJobName, Promise<void>>();
  private readonly runs: Record<HealthJobName, () => Promise<unknown>>;

  constructor(private readonly opts: HealthJobsOptions) {
    this.intervals = { ...DEFAULT_INTERVALS_MS, ...opts.intervalsMs };
    const { db, now, secret } = opts;
    const retention = opts.retention ?? { rawDays: 7, rollupDays: 90 };
    this.runs = {
      webhooks: () => (secret ? deliverDueWebhooks({ db, secret, now, log: opts.log }) : Promise.resolve()),
      alerts: () => evaluateAlerts({ db, now, publicUrl: opts.publicUrl, log: opts.log }),
      liveness: () => sweepLiveness({ db, now, thresholdSeconds: opts.livenessSeconds }),
      rollups: () => runRollups({ db, now, safetySeconds: opts.rollupSafetySeconds }),
      retention: () => runRetention({ db, now, ...retention }),
    };
  }

  /** Starts every job that is due and not already running; never throws, never waits. */
  onTick(): void {
    const at = performance.now();
    for (const name of Object.keys(this.runs) as HealthJobName[]) {
      if (this.running.has(name)) continue;
      const last = this.lastStart.get(name);
      if (last !== undefined && at - last < this.intervals[name]) continue;
      this.lastStart.set(name, at);
      const run = this.runs[name]()
        .then(() => undefined)
        .catch((e: unknown) =>
          this.opts.log(`health job ${name} failed: ${e instanceof Error ? e.message : String(e)}`),
        )
        .finally(() => this.running.delete(name));
      this.running.set(name, run);
    }
  }

  /** Jobs in flight, for tests and shutdown. */
  idle(): Promise<void> {
    return Promise.all(this.running.values()).then(() => undefined);
  }

  close(): Promise<void> {
    return this.idle();
  }
}
