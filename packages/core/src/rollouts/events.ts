import { randomBytes } from 'node:crypto';
import type { Db, Prisma } from '@edgefleet/db/client';
import type { Principal } from '../access.ts';
import { type AuditActor, recordAudit } from '../audit.ts';
import { isDomainError } from '../errors.ts';

/**
 * What the rollout modules share: who acted, the rollout's own event log, and audit of every
 * operator action (refusals included, marked `audited` so transports do not record them twice).
 */
export type DbOrTx = Db | Prisma.TransactionClient;

export interface RolloutDeps {
  db: Db;
  now?: () => Date;
}

/** An operator (session or API token), or the engine acting on a tripped gate. */
export type RolloutActor = Principal | 'engine';

export const clockOf = (deps: { now?: () => Date }) => deps.now ?? (() => new Date());

/** `ro_` + 16 hex characters (64 random bits). */
export const newRolloutId = () => `ro_${randomBytes(8).toString('hex')}`;
export const newPinId = () => `pin_${randomBytes(8).toString('hex')}`;

let sequence = 0;
/**
 * Event ids sort like the events were written (time, then a per-process sequence), so events
 * written in one tick under one clock reading still list in order.
 */
function newEventId(at: Date): string {
  sequence = (sequence + 1) % 0x1000000;
  const time = Math.max(0, at.getTime()).toString(16).padStart(12, '0');
  return `rev_${time}${sequence.toString(16).padStart(6, '0')}${randomBytes(3).toString('hex')}`;
}

/** The rollout_events `actor` column: user email, token name or "engine". */
export function actorLabel(actor: RolloutActor): string {
  if (actor === 'engine') return 'engine';
  return actor.kind === 'user' ? actor.email : actor.tokenName;
}

export const auditActorOf = (actor: RolloutActor): AuditActor =>
  actor === 'engine' ? { kind: 'system', label: 'rollout-engine' } : actor;

export interface RolloutEventInput {
  kind: string;
  message: string;
}

export async function addRolloutEvents(
  db: DbOrTx,
  rolloutId: string,
  at: Date,
  actor: RolloutActor,
  events: RolloutEventInput[],
): Promise<void> {
  if (events.length === 0) return;
  await db.rolloutEvent.createMany({
    data: events.map((e) => ({
      id: newEventId(at),
      rolloutId,
      at,
      kind: e.kind,
      message: e.message.slice(0, 2000),
      actor: actorLabel(actor),
    })),
  });
}

export interface AuditedAction {
  actor: RolloutActor;
  action: string;
  target: { type: string; id: string } | null;
  detail?: Record<string, unknown>;
}

/**
 * Runs an action and records its refusal in the audit log before rethrowing; success is recorded
 * by the action itself through `auditSuccess`, with what it did.
 */
export async function auditRefusal<T>(db: Db, a: AuditedAction, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isDomainError(error) && !error.audited) {
      await recordAudit(db, {
        actor: auditActorOf(a.actor),
        action: a.action,
        target: a.target,
        outcome: 'failure',
        detail: { ...a.detail, ...error.details, code: error.code, error: error.message },
      });
      error.audited = true;
    }
    throw error;
  }
}

export const auditSuccess = (db: Db, a: AuditedAction) =>
  recordAudit(db, {
    actor: auditActorOf(a.actor),
    action: a.action,
    target: a.target,
    outcome: 'success',
    detail: a.detail,
  });
