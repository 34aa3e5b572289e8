import type { Db } from '@edgefleet/db/client';
import { writeDeviceEvents } from './ingest.ts';

/**
 * Devices the database says are online but that have not been heard from for `thresholdSeconds`
 * (three missed heartbeats by default) are set offline. This covers what no disconnect reports:
 * a gateway that crashed or lost its network, a half-open TCP connection. One UPDATE finds and
 * flips them (compare-and-set on `online` and `lastSeenAt`, so a device that heartbeats or
 * reconnects meanwhile is left alone) and one INSERT records a `disconnected` event for each.
 */

export const DEFAULT_LIVENESS_SECONDS = 90;

export interface LivenessOptions {
  db: Db;
  now?: () => Date;
  thresholdSeconds?: number;
}

export async function sweepLiveness(opts: LivenessOptions): Promise<{ offline: string[] }> {
  const { db } = opts;
  const now = (opts.now ?? (() => new Date()))();
  const threshold = opts.thresholdSeconds ?? DEFAULT_LIVENESS_SECONDS;
  const cutoff = new Date(now.getTime() - threshold * 1000);
  const rows = await db.$queryRaw<{ id: string; lastSeenAt: Date | null }[]>`
    UPDATE "devices" SET "online" = false
    WHERE "online" AND ("lastSeenAt" IS NULL OR "lastSeenAt" < ${cutoff}::timestamp(3))
    RETURNING "id", "lastSeenAt"`;
  if (rows.length > 0) {
    await writeDeviceEvents(
      db,
      rows.map((r) => ({
        deviceId: r.id,
        seq: null,
        ts: now,
        source: 'gateway' as const,
        kind: 'disconnected',
        severity: 'warning' as const,
        message: `No heartbeat for ${threshold} s${r.lastSeenAt ? ` (last seen ${r.lastSeenAt.toISOString()})` : ''}: marked offline`,
      })),
    );
  }
  return { offline: rows.map((r) => r.id) };
}
