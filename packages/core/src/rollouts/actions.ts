import type { Prisma } from '@edgefleet/db/client';
import type { ROLLOUT_STATUSES } from '@edgefleet/protocol/rollout';
import type { Principal } from '../access.ts';
import { DomainError } from '../errors.ts';
import { setShadow } from './desired.ts';
import {
  actorLabel,
  addRolloutEvents,
  auditRefusal,
  auditSuccess,
  clockOf,
  type DbOrTx,
  type RolloutActor,
  type RolloutDeps,
} from './events.ts';
import type { GateVerdict } from './gates.ts';
import { getRolloutSummary, type RolloutSummary } from './queries.ts';
import { revertDevices } from './rollback.ts';

/**
 * Operator actions on a rollout. Each is a compare-and-set on the status under a row lock
 * (SELECT … FOR UPDATE), so it serialises with the engine's notify batches (which read the row
 * FOR SHARE) and with other operators; each writes a rollout event and an audit entry, refusals
 * included.
 */

type Tx = Prisma.TransactionClient;
type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];
type GateTrip = Extract<GateVerdict, { ok: false }>;

interface LockedRollout {
  id: string;
  status: RolloutStatus;
  modelId: string;
  versionId: string;
  force: boolean;
  gates: Prisma.JsonValue;
  phaseStartedAt: Date;
  phaseDoneAt: Date | null;
}

async function lockRollout(tx: Tx, id: string): Promise<LockedRollout> {
  const [row] = await tx.$queryRaw<LockedRollout[]>`
    SELECT "id", "status"::text AS "status", "modelId", "versionId", "force", "gates", "phaseStartedAt", "phaseDoneAt"
    FROM "rollouts" WHERE "id" = ${id} FOR UPDATE`;
  if (!row) throw new DomainError('NOT_FOUND', `No rollout with id ${id}`);
  return row;
}

const refuse = (row: LockedRollout, verb: string, allowed: string) =>
  new DomainError('CONFLICT', `Rollout ${row.id} is ${row.status}; only ${allowed} rollouts can be ${verb}`, {
    status: row.status,
  });

interface ActionSpec {
  action: string;
  /** Does the change inside the transaction; returns audit detail. */
  run: (tx: Tx, row: LockedRollout, now: Date) => Promise<Record<string, unknown>>;
}

async function act(deps: RolloutDeps, actor: Principal, id: string, spec: ActionSpec): Promise<RolloutSummary> {
  const { db } = deps;
  const audit = { actor, action: spec.action, target: { type: 'rollout', id } };
  return auditRefusal(db, audit, async () => {
    const now = clockOf(deps)();
    const detail = await db.$transaction(async (tx) => spec.run(tx, await lockRollout(tx, id), now), {
      timeout: 120_000,
      maxWait: 20_000,
    });
    await auditSuccess(db, { ...audit, detail });
    return getRolloutSummary(db, id);
  });
}

export function pauseRollout(
  deps: RolloutDeps,
  principal: Principal,
  id: string,
  reason?: string,
): Promise<RolloutSummary> {
  return act(deps, principal, id, {
    action: 'rollout.pause',
    run: async (tx, row, now) => {
      if (row.status !== 'running') throw refuse(row, 'paused', 'running');
      const why = reason?.trim() || `paused by ${actorLabel(principal)}`;
      await tx.rollout.update({ where: { id }, data: { status: 'paused', statusReason: why } });
      await addRolloutEvents(tx, id, now, principal, [{ kind: 'paused', message: why }]);
      return { reason: why };
    },
  });
}

/**
 * Paused → running. Time spent paused does not count: the phase's start (exponential pace,
 * shadow duration) and its soak move on by the pause. Resuming also accepts the failures so far:
 * the failure-rate gate then counts only later ones (a paused-by-gate rollout would otherwise
 * trip again at once). Metric gates still see every figure.
 */
export function resumeRollout(
  deps: RolloutDeps,
  principal: Principal,
  id: string,
  reason?: string,
): Promise<RolloutSummary> {
  return act(deps, principal, id, {
    action: 'rollout.resume',
    run: async (tx, row, now) => {
      if (row.status !== 'paused') throw refuse(row, 'resumed', 'paused');
      const pausedAt = (
        await tx.rolloutEvent.findFirst({
          where: { rolloutId: id, kind: 'paused' },
          orderBy: [{ at: 'desc' }, { id: 'desc' }],
          select: { at: true },
        })
      )?.at;
      const shift = pausedAt ? Math.max(0, now.getTime() - pausedAt.getTime()) : 0;
      const later = (d: Date) => new Date(d.getTime() + shift);
      const failures = await tx.rolloutDevice.count({
        where: { rolloutId: id, state: { in: ['failed', 'timed_out'] } },
      });
      const gates = { ...(row.gates as Record<string, unknown>), acceptedFailures: failures };
      await tx.rollout.update({
        where: { id },
        data: {
          status: 'running',
          statusReason: null,
          gates: gates as Prisma.InputJsonValue,
          phaseStartedAt: later(row.phaseStartedAt),
          phaseDoneAt: row.phaseDoneAt ? later(row.phaseDoneAt) : null,
        },
      });
      const accepted = failures > 0 ? `; ${failures} failed devices accepted` : '';
      await addRolloutEvents(tx, id, now, principal, [
        { kind: 'resumed', message: `${reason?.trim() || 'resumed'}${accepted}` },
      ]);
      return { acceptedFailures: failures, pausedSeconds: Math.round(shift / 1000) };
    },
  });
}

/** Queued and shadowing devices are cancelled (the candidate withdrawn); devices already updated stay. */
async function cancelPending(tx: Tx, row: LockedRollout, now: Date, reason: string): Promise<number> {
  const shadowing = await tx.rolloutDevice.findMany({
    where: { rolloutId: row.id, state: 'shadowing' },
    select: { deviceId: true },
  });
  await setShadow(
    tx,
    shadowing.map((d) => d.deviceId),
    row.modelId,
    null,
  );
  const cancelled = await tx.rolloutDevice.updateMany({
    where: { rolloutId: row.id, state: { in: ['queued', 'shadowing'] } },
    data: { state: 'cancelled', reason, stateChangedAt: now, nextAttemptAt: null },
  });
  return cancelled.count;
}

/**
 * Stops a running or paused rollout. One the engine paused on a tripped gate ends `failed`;
 * otherwise `aborted`.
 */
export function abortRollout(
  deps: RolloutDeps,
  principal: Principal,
  id: string,
  reason?: string,
): Promise<RolloutSummary> {
  return act(deps, principal, id, {
    action: 'rollout.abort',
    run: async (tx, row, now) => {
      if (row.status !== 'running' && row.status !== 'paused') throw refuse(row, 'aborted', 'running or paused');
      const lastPause =
        row.status === 'paused'
          ? await tx.rolloutEvent.findFirst({
              where: { rolloutId: id, kind: 'paused' },
              orderBy: [{ at: 'desc' }, { id: 'desc' }],
              select: { actor: true },
            })
          : null;
      const status = lastPause?.actor === 'engine' ? 'failed' : 'aborted';
      const why = reason?.trim() || `aborted by ${actorLabel(principal)}`;
      const cancelled = await cancelPending(tx, row, now, 'rollout aborted');
      await tx.rollout.update({ where: { id }, data: { status, statusReason: why, finishedAt: now } });
      await addRolloutEvents(tx, id, now, principal, [
        { kind: 'aborted', message: `${why}; ${cancelled} devices not yet updated were cancelled` },
      ]);
      return { status, cancelled, reason: why };
    },
  });
}

/**
 * Sends every device that took the version back to the one it had before (see revertDevices);
 * queued and shadowing devices are cancelled. Any rollout not already rolled back may be, a
 * completed one included.
 */
export async function rollbackRollout(
  deps: RolloutDeps,
  principal: Principal | 'engine',
  id: string,
  reason: string,
): Promise<RolloutSummary> {
  const { db } = deps;
  const audit = { actor: principal, action: 'rollout.rollback', target: { type: 'rollout', id } };
  return auditRefusal(db, audit, async () => {
    const detail = await rollbackIn(deps, principal, id, reason, null);
    if (!detail) throw new DomainError('CONFLICT', `Rollout ${id} is no longer running`);
    await auditSuccess(db, { ...audit, detail });
    return getRolloutSummary(db, id);
  });
}

async function rollbackIn(
  deps: RolloutDeps,
  actor: RolloutActor,
  id: string,
  reason: string,
  gate: GateTrip | null,
): Promise<Record<string, unknown> | null> {
  const now = clockOf(deps)();
  return deps.db.$transaction(
    async (tx) => {
      const row = await lockRollout(tx, id);
      if (gate && row.status !== 'running') return null;
      if (row.status === 'rolled_back') throw new DomainError('CONFLICT', `Rollout ${id} is already rolled back`);
      const why = reason.trim() || 'rolled back';
      await tx.rollout.update({ where: { id }, data: { status: 'rolled_back', statusReason: why, finishedAt: now } });
      const cancelled = await cancelPending(tx, row, now, 'rollout rolled back before this device updated');
      const reverted = await revertDevices(tx, row, why, now);
      const message = `${why}: ${reverted.toPrevious} devices sent back to their previous version, ${reverted.cleared} had none (model removed), ${reverted.leftAlone} now managed elsewhere left alone; ${cancelled} not yet updated cancelled`;
      await addRolloutEvents(tx, id, now, actor, [
        ...(gate ? [{ kind: 'gate_tripped', message: `${gate.gate}: ${gate.reason}` }] : []),
        { kind: 'rolled_back', message },
      ]);
      return { ...reverted, cancelled, reason: why, ...(gate ? { gate: gate.gate } : {}) };
    },
    { timeout: 120_000, maxWait: 20_000 },
  );
}

/** Engine: a gate tripped under onFailure rollback. Nothing happens if the rollout stopped running meanwhile. */
export async function rollbackForGate(deps: RolloutDeps, id: string, gate: GateTrip): Promise<boolean> {
  const detail = await rollbackIn(deps, 'engine', id, `gate ${gate.gate}: ${gate.reason}`, gate);
  if (detail)
    await auditSuccess(deps.db, {
      actor: 'engine',
      action: 'rollout.rollback',
      target: { type: 'rollout', id },
      detail,
    });
  return detail !== null;
}

/** Engine: a gate tripped under onFailure pause, in the caller's transaction; false if it was no longer running. */
export async function pauseForGate(tx: DbOrTx, id: string, gate: GateTrip, now: Date): Promise<boolean> {
  const why = `gate ${gate.gate}: ${gate.reason}`;
  const moved = await tx.rollout.updateMany({
    where: { id, status: 'running' },
    data: { status: 'paused', statusReason: why },
  });
  if (moved.count !== 1) return false;
  await addRolloutEvents(tx, id, now, 'engine', [
    { kind: 'gate_tripped', message: `${gate.gate}: ${gate.reason}` },
    { kind: 'paused', message: why },
  ]);
  return true;
}

export const auditGatePause = (db: RolloutDeps['db'], id: string, gate: GateTrip): Promise<void> =>
  auditSuccess(db, {
    actor: 'engine',
    action: 'rollout.pause',
    target: { type: 'rollout', id },
    detail: { gate: gate.gate, reason: gate.reason },
  });
