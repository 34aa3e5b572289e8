import { markDeviceConnection, touchDevices } from '@edgefleet/core/devices/session';
import type { Db } from '@edgefleet/db/client';

export type Log = (message: string) => void;

/**
 * Online/offline and last-seen writes for connected devices. Connection changes for one device
 * are applied in order (a quick reconnect must not end as "offline"); heartbeats are
 * collected and written as one statement per interval, so 10k devices beating every 30 s cost
 * a few hundred row updates per second in a handful of statements.
 */
export class Presence {
  private readonly chains = new Map<string, Promise<void>>();
  private seen = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    private readonly log: Log,
    flushMs = 1000,
  ) {
    this.timer = setInterval(() => void this.flush(), flushMs);
    this.timer.unref();
  }

  connection(deviceId: string, online: boolean): void {
    // A heartbeat collected before the disconnect must not mark the device online again.
    if (!online) this.seen.delete(deviceId);
    const previous = this.chains.get(deviceId) ?? Promise.resolve();
    const next = previous
      .then(() => markDeviceConnection(this.db, deviceId, online))
      .catch((e: unknown) => this.log(`presence of ${deviceId} not recorded: ${String(e)}`));
    this.chains.set(deviceId, next);
    void next.then(() => {
      if (this.chains.get(deviceId) === next) this.chains.delete(deviceId);
    });
  }

  heartbeat(deviceId: string): void {
    this.seen.add(deviceId);
  }

  async flush(): Promise<void> {
    if (this.seen.size === 0) return;
    const ids = [...this.seen];
    this.seen = new Set();
    await touchDevices(this.db, ids).catch((e: unknown) => this.log(`heartbeats not recorded: ${String(e)}`));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([this.flush(), ...this.chains.values()]);
  }
}
