import {
  markNotified,
  type SignedInstruction,
  signPendingInstructions,
  unannouncedInstructions,
} from '@edgefleet/core/rollouts/device-repository';
import type { DirectorKey } from '@edgefleet/core/rollouts/director-key';
import type { Db } from '@edgefleet/db/client';
import { PROTOCOL_VERSION, topics } from '@edgefleet/protocol/device';
import type { TDesiredNotice } from '@edgefleet/protocol/rollout';
import type { DeviceBroker } from './device-broker.ts';
import type { Log } from './presence.ts';

export interface DesiredOutboxOptions {
  db: Db;
  director: DirectorKey;
  broker: Pick<DeviceBroker, 'publish'>;
  log: Log;
  /** How often to look for devices whose desired state changed (ms). */
  intervalMs?: number;
  /** How often to ring again the doorbells that did not go out (ms). */
  retryMs?: number;
  now?: () => Date;
}

/** Devices signed per round; a full batch means more are waiting, so the next round starts at once. */
const BATCH = 500;

/**
 * Signs the instructions of devices whose desired state changed and rings each one's doorbell: a
 * retained ZDesiredNotice on `edgefleet/devices/<id>/desired`, so a device connected now refreshes
 * at once and one that connects later finds it waiting. Runs every `intervalMs` and when poked
 * (after an engine tick that notified devices). One round at a time; a poke during a round
 * schedules another right after it. A notice is marked sent only after the broker took it; one
 * that failed (or a set signed on a device's own request) is rung again every `retryMs`.
 */
export class DesiredOutbox {
  private readonly timer: NodeJS.Timeout;
  private readonly retryTimer: NodeJS.Timeout;
  private retryDue = false;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;

  constructor(private readonly opts: DesiredOutboxOptions) {
    this.timer = setInterval(() => this.poke(), opts.intervalMs ?? 500);
    this.timer.unref();
    this.retryTimer = setInterval(() => {
      this.retryDue = true;
      this.poke();
    }, opts.retryMs ?? 30_000);
    this.retryTimer.unref();
  }

  poke(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.again && !this.closed) {
        this.again = false;
        this.poke();
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearInterval(this.retryTimer);
    await this.running;
  }

  private async drain(): Promise<void> {
    const { db, director, log, now } = this.opts;
    for (let full = true; full && !this.closed; ) {
      let signed: Awaited<ReturnType<typeof signPendingInstructions>>;
      try {
        signed = await signPendingInstructions({ db, director, now }, BATCH);
      } catch (e) {
        return log(`signing instructions failed: ${String(e)}`);
      }
      full = signed.length >= BATCH;
      await this.ring(signed);
    }
    if (this.retryDue && !this.closed) {
      this.retryDue = false;
      try {
        await this.ring(await unannouncedInstructions(db, BATCH));
      } catch (e) {
        log(`doorbells not rung again: ${String(e)}`);
      }
    }
  }

  private async ring(signed: SignedInstruction[]): Promise<void> {
    const { db, broker, log } = this.opts;
    for (const { deviceId, version, issuedAt } of signed) {
      const notice: TDesiredNotice = { v: PROTOCOL_VERSION, instructionVersion: version, issuedAt };
      try {
        await broker.publish(topics.desired(deviceId), JSON.stringify(notice), { retain: true });
        await markNotified(db, deviceId, version);
      } catch (e) {
        log(`doorbell for ${deviceId} v${version} not sent (rung again later): ${String(e)}`);
      }
    }
  }
}
