import type { Db, Prisma } from '@edgefleet/db/client';
import { DomainError } from '../errors.ts';

/** A device's event timeline (installs, rollbacks, reconnects, alerts…), newest first. */

export interface DeviceEventView {
  id: string;
  ts: Date;
  receivedAt: Date;
  source: string;
  kind: string;
  severity: string;
  message: string;
  model: string | null;
  version: string | null;
}

export interface DeviceEventPage {
  items: DeviceEventView[];
  /** Pass as `before` for the next (older) page; null at the end. */
  nextCursor: string | null;
}

const encodeCursor = (e: { ts: Date; id: string }) => `${e.ts.getTime().toString(36)}.${e.id}`;

function decodeCursor(raw: string): { ts: Date; id: string } {
  const dot = raw.indexOf('.');
  const ms = Number.parseInt(raw.slice(0, dot), 36);
  if (dot < 1 || !Number.isFinite(ms)) throw new DomainError('INVALID', 'cursor is malformed');
  return { ts: new Date(ms), id: raw.slice(dot + 1) };
}

/** Keyset-paged on (ts, id) over the (deviceId, ts) index. */
export async function deviceEvents(
  db: Db,
  input: { deviceId: string; limit?: number; before?: string | null },
): Promise<DeviceEventPage> {
  const limit = Math.min(Math.max(Math.trunc(input.limit ?? 50), 1), 200);
  const device = await db.device.findUnique({ where: { id: input.deviceId }, select: { id: true } });
  if (!device) throw new DomainError('NOT_FOUND', `No device with id ${input.deviceId}`);
  const before = input.before ? decodeCursor(input.before) : null;
  const where: Prisma.DeviceEventWhereInput = {
    deviceId: input.deviceId,
    ...(before ? { OR: [{ ts: { lt: before.ts } }, { ts: before.ts, id: { lt: before.id } }] } : {}),
  };
  const rows = await db.deviceEvent.findMany({
    where,
    orderBy: [{ ts: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    select: {
      id: true,
      ts: true,
      receivedAt: true,
      source: true,
      kind: true,
      severity: true,
      message: true,
      model: true,
      version: true,
    },
  });
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
