import { randomUUID } from 'node:crypto';
import type { Db, Prisma } from '@edgefleet/db/client';

/**
 * Device events: what happened on a device (agent events, with the agent's `seq`) or to it
 * (connects, alerts, diagnostics, operator actions; `seq` null). Agent events arrive in batches
 * through `writeDeviceEvents` (ingest.ts); everything else records one at a time here.
 */
export type DeviceEventSource = 'device' | 'gateway' | 'alert' | 'operator';
export type DeviceEventSeverity = 'info' | 'warning' | 'error';

export interface DeviceEventInput {
  deviceId: string;
  /** The agent's per-device event sequence; null for control-plane events. */
  seq: number | null;
  ts: Date;
  source: DeviceEventSource;
  kind: string;
  severity: DeviceEventSeverity;
  message: string;
  model?: string;
  version?: string;
}

type DbOrTx = Db | Prisma.TransactionClient;

/** One event, one row (id a random UUID, receivedAt now). */
export async function recordDeviceEvent(db: DbOrTx, event: DeviceEventInput): Promise<void> {
  await db.deviceEvent.create({
    data: {
      id: randomUUID(),
      deviceId: event.deviceId,
      seq: event.seq ?? null,
      ts: event.ts,
      receivedAt: new Date(),
      source: event.source,
      kind: event.kind,
      severity: event.severity,
      message: event.message,
      model: event.model ?? null,
      version: event.version ?? null,
    },
  });
}
