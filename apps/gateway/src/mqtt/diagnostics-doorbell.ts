import {
  type DiagnosticsDeps,
  devicesToNotify,
  expireDiagnostics,
  markNotified,
  noticeFor,
} from '@edgefleet/core/health/diagnostics';
import { PROTOCOL_VERSION, topics } from '@edgefleet/protocol/device';
import type { TDiagnosticsNotice } from '@edgefleet/protocol/health';
import type { DeviceBroker } from './device-broker.ts';
import type { Log } from './presence.ts';

export interface DiagnosticsDoorbellOptions extends DiagnosticsDeps {
  broker: Pick<DeviceBroker, 'publish'>;
  log: Log;
  /** How often to look for devices whose pending requests changed (ms). */
  intervalMs?: number;
  /** How often to mark requests unanswered for 7 days expired (ms). */
  expireEveryMs?: number;
}

const BATCH = 500;

/**
 * Rings the diagnostics doorbell: for each device whose set of pending requests changed (a new
 * request, one answered or expired), the retained ZDiagnosticsNotice on
 * `edgefleet/devices/<id>/diagnostics` is replaced by one listing what is pending now (an empty
 * list when nothing is). Rows are marked notified only after the broker took
 * the notice, so one that failed is rung again next round. Idempotent: every gateway may run it.
 */
export class DiagnosticsDoorbell {
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | null = null;
  private closed = false;
  private lastExpiry = 0;

  constructor(private readonly opts: DiagnosticsDoorbellOptions) {
    this.timer = setInterval(() => this.poke(), opts.intervalMs ?? 1000);
    this.timer.unref();
  }

  poke(): void {
    if (this.closed || this.running) return;
    this.running = this.round().finally(() => {
      this.running = null;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async round(): Promise<void> {
    const { log } = this.opts;
    const now = Date.now();
    if (now - this.lastExpiry >= (this.opts.expireEveryMs ?? 60_000)) {
      this.lastExpiry = now;
      await expireDiagnostics(this.opts).catch((e) => log(`diagnostics expiry failed: ${String(e)}`));
    }
    let devices: string[];
    try {
      devices = await devicesToNotify(this.opts.db, BATCH);
    } catch (e) {
      return log(`diagnostics doorbell: ${String(e)}`);
    }
    for (const deviceId of devices) {
      if (this.closed) return;
      await this.ring(deviceId);
    }
  }

  private async ring(deviceId: string): Promise<void> {
    const { broker, log } = this.opts;
    try {
      const { requestIds, seen } = await noticeFor(this.opts, deviceId);
      const notice: TDiagnosticsNotice = { v: PROTOCOL_VERSION, requestIds };
      // Replaced, not cleared, when nothing is pending: an empty retained message (MQTT's "clear")
      // arrives at aws-crt subscribers as a detached buffer that aborts the agent process.
      await broker.publish(topics.diagnostics(deviceId), JSON.stringify(notice), { retain: true });
      await markNotified(this.opts, deviceId, seen);
    } catch (e) {
      log(`diagnostics doorbell for ${deviceId} not sent (rung again later): ${String(e)}`);
    }
  }
}
