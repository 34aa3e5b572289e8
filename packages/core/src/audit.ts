import type { Db, Prisma } from '@edgefleet/db/client';
import type { Principal } from './access.ts';

export type AuditActor =
  | Principal
  | { kind: 'system'; label?: string }
  | { kind: 'anonymous'; label: string }
  /** A device acting with its certificate (or enrolling under its new id). */
  | { kind: 'device'; deviceId: string };

export interface AuditEntry {
  actor: AuditActor;
  action: string;
  target?: { type: string; id: string } | null;
  outcome: 'success' | 'failure';
  detail?: Record<string, unknown>;
  ip?: string | null;
}

function actorColumns(actor: AuditActor) {
  switch (actor.kind) {
    case 'user':
      return { actorType: 'user', actorId: actor.userId, actorLabel: actor.email };
    case 'token':
      return { actorType: 'token', actorId: actor.tokenId, actorLabel: `${actor.tokenName} (${actor.email})` };
    case 'system':
      return { actorType: 'system', actorId: null, actorLabel: actor.label ?? 'system' };
    case 'anonymous':
      return { actorType: 'anonymous', actorId: null, actorLabel: actor.label };
    case 'device':
      return { actorType: 'device', actorId: actor.deviceId, actorLabel: actor.deviceId };
  }
}

export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.auditEvent.create({
    data: {
      ...actorColumns(entry.actor),
      action: entry.action,
      targetType: entry.target?.type ?? null,
      targetId: entry.target?.id ?? null,
      outcome: entry.outcome,
      detail: (entry.detail ?? undefined) as Prisma.InputJsonValue | undefined,
      ip: entry.ip ?? null,
    },
  });
}

export interface AuditQuery {
  limit?: number;
  /** Return events older than this id (keyset pagination, newest first). */
  before?: string | null;
  action?: string | null;
  actor?: string | null;
}

export async function listAudit(db: Db, q: AuditQuery = {}) {
  const limit = Math.min(Math.max(q.limit ?? 50, 1), 200);
  const rows = await db.auditEvent.findMany({
    where: {
      ...(q.before ? { id: { lt: BigInt(q.before) } } : {}),
      ...(q.action ? { action: { startsWith: q.action } } : {}),
      ...(q.actor ? { actorLabel: { contains: q.actor, mode: 'insensitive' as const } } : {}),
    },
    orderBy: { id: 'desc' },
    take: limit + 1,
  });
  const page = rows.slice(0, limit).map((r) => ({ ...r, id: r.id.toString() }));
  return { events: page, nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
}
