import { markDevicesConnection, touchDevices } from '@edgefleet/core/devices/session';
import type { Db } from '@edgefleet/db/client';

export type Log = (message: string) => void;

/** Connection changes wait this long to be written together (a burst of reconnects is a few statements). */
const CONNECTION_FLUSH_MS = 50;

/**
 * Online/offline and last-seen writes for connected devices. Connection changes are coalesced
 * for a few milliseconds and written as two statements (online, offline), one write at a time,
 * each device's latest state winning: a quick reconnect never ends as "offline", and 10k devices
 * reconnecting after a gateway restart cost a few hundred statements, not 10k. Heartbeats are
 * collected and written as one statement per interval, so 10k devices beating every 30 s cost a
 * few hundred row updates per second in a handful of statements.
 */
export class Presence {
  private changes = new Map<string, boolean>();
  private changeTimer: NodeJS.Timeout | null = null;
  private writingChanges: Promise<void> | null = null;
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
    this.changes.set(deviceId, online);
    this.scheduleChanges();
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
    if (this.changeTimer) clearTimeout(this.changeTimer);
    this.changeTimer = null;
    await this.writingChanges;
    await Promise.all([this.flush(), this.writeChanges()]);
  }

  private scheduleChanges(): void {
    if (this.changeTimer || this.writingChanges) return;
    this.changeTimer = setTimeout(() => {
      this.changeTimer = null;
      void this.writeChanges();
    }, CONNECTION_FLUSH_MS);
  }

  private async writeChanges(): Promise<void> {
    if (this.changes.size === 0 || this.writingChanges) return;
    const changes = this.changes;
    this.changes = new Map();
    const online: string[] = [];
    const offline: string[] = [];
    for (const [id, on] of changes) (on ? online : offline).push(id);
    const at = new Date();
    this.writingChanges = Promise.all([
      markDevicesConnection(this.db, online, true, at),
      markDevicesConnection(this.db, offline, false, at),
    ]).then(
      () => {},
      (e: unknown) => this.log(`presence of ${changes.size} devices not recorded: ${String(e)}`),
    );
    await this.writingChanges;
    this.writingChanges = null;
    // Changes that came in meanwhile: written next, after this one (order kept per device).
    if (this.changes.size > 0) this.scheduleChanges();
  }
}
