import { revokedSince } from '@edgefleet/core/devices/session';
import type { Db } from '@edgefleet/db/client';
import type { Log } from './presence.ts';

/** Writers stamp revokedAt before they commit; re-reading a few seconds back catches late commits. */
const OVERLAP_MS = 5000;

/**
 * Polls the database for revocations (every second by default) and hands each batch to
 * `cut`, which closes matching live connections. Polling rather than a notification keeps it
 * working on both database engines and across gateway replicas; the cost is one indexed query
 * per second and up to a second of delay.
 */
export function startRevocationPoller(
  db: Db,
  cut: (revoked: { deviceIds: Set<string>; serials: Set<string>; serialDeviceIds: Set<string> }) => void,
  log: Log,
  intervalMs = 1000,
): { stop(): Promise<void> } {
  let since = new Date(Date.now() - OVERLAP_MS);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const poll = async () => {
    try {
      const r = await revokedSince(db, since);
      since = new Date(r.until.getTime() - OVERLAP_MS);
      if (r.deviceIds.length > 0 || r.serials.length > 0) {
        cut({
          deviceIds: new Set(r.deviceIds),
          serials: new Set(r.serials),
          serialDeviceIds: new Set(r.serialDeviceIds),
        });
      }
    } catch (e) {
      log(`revocation poll failed: ${String(e)}`);
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = poll().finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
