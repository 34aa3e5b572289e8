import type { Db } from '@edgefleet/db/client';
import { auditGatePause, pauseForGate, rollbackForGate } from './actions.ts';
import { setShadow } from './desired.ts';
import { MAX_NOTIFY_PER_TICK, notifyDevices } from './engine-notify.ts';
import {
  IN_FLIGHT_STATES,
  loadMetrics,
  loadTally,
  type RunningRollout,
  readRollout,
  rolloutSelect,
  sweepInFlight,
  type Tally,
} from './engine-state.ts';
import { addRolloutEvents, clockOf } from './events.ts';
import {
  evaluateGates,
  evaluateShadowGates,
  exponentialAllowance,
  type GateVerdict,
  gatesReadMetrics,
  inMaintenanceWindow,
  summariseShadow,
} from './gates.ts';
import { loadArtifacts } from './variants.ts';

/**
 * The rollout engine: one tick looks at every running rollout and moves it on. Everything it
 * knows is in the database, and every change is a compare-and-set on what it read (status and
 * phase of the rollout, `queued` on a device row), so a tick is idempotent, a restarted engine
 * continues exactly where the last one stopped, and a second engine racing it changes nothing
 * twice. The gateway runs it under a leader lock; correctness does not depend on that.
 */
export interface EngineDeps {
  db: Db;
  now?: () => Date;
  /** Problems with one rollout are logged and the others still tick; without a log, the tick throws. */
  log?: (message: string) => void;
}

export interface EngineTickResult {
  rollouts: number;
  /** Devices whose desired state was written this tick (install or shadow). */
  notified: number;
}

export async function runEngineTick(deps: EngineDeps): Promise<EngineTickResult> {
  const now = clockOf(deps)();
  const rows = await deps.db.rollout.findMany({
    where: { status: 'running' },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    select: rolloutSelect,
  });
  let notified = 0;
  let failure: unknown;
  for (const row of rows) {
    try {
      notified += await tickRollout(deps, readRollout(row), now);
    } catch (error) {
      if (!deps.log) failure ??= error;
      else deps.log(`rollout engine: ${row.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failure !== undefined) throw failure;
  return { rollouts: rows.length, notified };
}

async function tickRollout(deps: EngineDeps, r: RunningRollout, now: Date): Promise<number> {
  const { db } = deps;
  if (r.revokedKey) {
    // Revoking a publisher key stops rollouts of what it signed, whatever onFailure says.
    const gate = { ok: false as const, gate: 'publisherKey', reason: `publisher key "${r.revokedKey}" was revoked` };
    if (await db.$transaction((tx) => pauseForGate(tx, r.id, gate, now))) await auditGatePause(db, r.id, gate);
    return 0;
  }
  await sweepInFlight(db, r, now);
  const tally = await loadTally(db, r.id, now);
  if (r.currentPhase < 0) return shadowPhase(deps, r, tally, now);
  const verdict = evaluateGates(r.gates, tally.totals, gatesReadMetrics(r.gates) ? await loadMetrics(db, r.id) : []);
  if (!verdict.ok) {
    await trip(deps, r, verdict, now);
    return 0;
  }
  const { step, waiting } = await advancePhase(db, r, tally, now);
  if (step === 'completed' || step === 'lost') return 0;
  const current: RunningRollout =
    step === 'advanced' ? { ...r, currentPhase: r.currentPhase + 1, phaseStartedAt: now, phaseDoneAt: null } : r;
  const notify = await notifyInstalls(db, current, tally, now);
  await noteWaiting(db, current, waiting ?? notify.waiting);
  return notify.notified;
}

/** Tells operators why a running rollout is not moving; written only when it changes. */
async function noteWaiting(db: Db, r: RunningRollout, reason: string | null) {
  if (reason === r.statusReason) return;
  await db.rollout.updateMany({
    where: { id: r.id, status: 'running', currentPhase: r.currentPhase },
    data: { statusReason: reason },
  });
}

type GateTrip = Extract<GateVerdict, { ok: false }>;

/** A tripped gate: the rollout's onFailure policy, pause or rollback. */
async function trip(deps: EngineDeps, r: RunningRollout, verdict: GateTrip, now: Date) {
  if (r.onFailure === 'rollback') {
    await rollbackForGate({ db: deps.db, now: () => now }, r.id, verdict);
    return;
  }
  const paused = await deps.db.$transaction((tx) => pauseForGate(tx, r.id, verdict, now));
  if (paused) await auditGatePause(deps.db, r.id, verdict);
}

const inFlight = (counts: Tally['totals']) => IN_FLIGHT_STATES.reduce((n, s) => n + counts[s], 0);
const total = (counts: Tally['totals']) => Object.values(counts).reduce((n, c) => n + c, 0);

interface PhaseProgress {
  done: boolean;
  /** Devices of this or earlier phases still queued or installing while online. */
  pending: number;
  offline: number;
  successes: number;
  needed: number;
}

/**
 * A phase is through when no device of it (or an earlier one) is queued, shadowing or installing
 * while online, and, unless it is the last, it has `minSuccesses` successes — or as many as it can
 * still have, so a phase smaller than the gate is not stuck forever. Offline devices do not hold
 * a phase up; minSuccesses is what keeps a phase of mostly-offline devices from passing.
 */
function phaseProgress(r: RunningRollout, tally: Tally, phase: number): PhaseProgress {
  let pending = 0;
  let offline = 0;
  for (const [index, t] of tally.phases) {
    if (index > phase) continue;
    pending += t.counts.queued + t.counts.shadowing + inFlight(t.counts) - t.offlineInFlight;
    offline += t.offlineInFlight;
  }
  const c = tally.phases.get(phase)?.counts;
  const successes = c?.succeeded ?? 0;
  const possible = c ? total(c) - c.skipped - c.failed - c.timed_out - c.cancelled - c.rolled_back : 0;
  const last = phase >= r.phases.length - 1;
  const needed = last ? 0 : Math.min(r.gates.minSuccesses, possible);
  return { done: pending === 0 && successes >= needed, pending, offline, successes, needed };
}

type Step = 'waiting' | 'advanced' | 'completed' | 'lost';

/** Marks the phase done (its soak starts), then after the soak moves to the next phase or completes. */
async function advancePhase(
  db: Db,
  r: RunningRollout,
  tally: Tally,
  now: Date,
): Promise<{ step: Step; waiting: string | null }> {
  const c = r.currentPhase;
  const where = { id: r.id, status: 'running' as const, currentPhase: c };
  const progress = phaseProgress(r, tally, c);
  if (!progress.done) {
    // A retry or a returning device reopened the phase: its soak starts again once it is through.
    if (r.phaseDoneAt) await db.rollout.updateMany({ where, data: { phaseDoneAt: null } });
    const short = progress.needed - progress.successes;
    const waiting =
      progress.pending === 0 && short > 0
        ? `waiting for ${short} more successes in phase ${c + 1} (minSuccesses); ${progress.offline} devices offline`
        : null;
    return { step: 'waiting', waiting };
  }
  const doneAt = r.phaseDoneAt ?? now;
  if (!r.phaseDoneAt)
    await db.rollout.updateMany({ where: { ...where, phaseDoneAt: null }, data: { phaseDoneAt: now } });
  const phase = r.phases[c];
  if (now.getTime() < doneAt.getTime() + (phase?.soakSeconds ?? 0) * 1000) return { step: 'waiting', waiting: null };
  const last = c >= r.phases.length - 1;
  const step = await db.$transaction(async (tx): Promise<Step> => {
    if (last) {
      const reason =
        progress.offline > 0 ? `${progress.offline} devices were offline; they update when they return` : null;
      const moved = await tx.rollout.updateMany({
        where,
        data: { status: 'completed', statusReason: reason, finishedAt: now },
      });
      if (moved.count !== 1) return 'lost';
      const t = tally.totals;
      const message = `completed: ${t.succeeded} succeeded, ${t.failed + t.timed_out} failed, ${t.skipped} skipped${reason ? `; ${reason}` : ''}`;
      await addRolloutEvents(tx, r.id, now, 'engine', [{ kind: 'completed', message }]);
      return 'completed';
    }
    const moved = await tx.rollout.updateMany({
      where,
      data: { currentPhase: c + 1, phaseStartedAt: now, phaseDoneAt: null },
    });
    if (moved.count !== 1) return 'lost';
    const next = r.phases[c + 1];
    await addRolloutEvents(tx, r.id, now, 'engine', [
      { kind: 'phase_passed', message: `phase ${c + 1} (${phase?.label}) passed with ${progress.successes} successes` },
      { kind: 'phase_started', message: `phase ${c + 2} (${next?.label}): up to ${next?.target} devices` },
    ]);
    return 'advanced';
  });
  return { step, waiting: null };
}

/** Notifies due devices of the current phase within the window, maxConcurrent and the exponential pace. */
async function notifyInstalls(
  db: Db,
  r: RunningRollout,
  tally: Tally,
  now: Date,
): Promise<{ notified: number; waiting: string | null }> {
  let due = 0;
  for (const [index, t] of tally.phases) if (index <= r.currentPhase) due += t.due;
  // The tally predates an advance in this tick, but it counted the next phase's queued rows too.
  if (due === 0) return { notified: 0, waiting: null };
  if (!inMaintenanceWindow(r.window, now)) {
    const w = r.window;
    const days = w?.days?.length ? ` on days ${w.days.join(',')}` : '';
    return { notified: 0, waiting: `waiting for the maintenance window (${w?.start}-${w?.end} UTC${days})` };
  }
  let limit = MAX_NOTIFY_PER_TICK;
  if (r.maxConcurrent !== null) limit = Math.min(limit, r.maxConcurrent - tally.onlineInFlight);
  if (r.strategy.kind === 'exponential') {
    const { startPerMinute, factor } = r.strategy;
    const allowed = exponentialAllowance(startPerMinute, factor, now.getTime() - r.phaseStartedAt.getTime());
    limit = Math.min(limit, allowed - tally.admitted);
  }
  if (limit <= 0) return { notified: 0, waiting: null };
  const artifacts = (await loadArtifacts(db, [r.versionId])).get(r.versionId) ?? [];
  return { notified: (await notifyDevices(db, r, 'install', limit, artifacts, now)).notified, waiting: null };
}

/**
 * Phase -1: the cohort gets the candidate beside its serving version (within the window), and
 * after `durationSeconds` from the cohort's notification the shadow gates decide. Either way the
 * candidate is withdrawn and the cohort goes back to `queued` to install in its own phase; on a
 * failed verdict the rollout pauses (a resume runs the shadow again) or rolls back.
 */
async function shadowPhase(deps: EngineDeps, r: RunningRollout, tally: Tally, now: Date): Promise<number> {
  const { db } = deps;
  if (tally.cohort.queued > 0) {
    if (!inMaintenanceWindow(r.window, now)) return 0;
    const artifacts = (await loadArtifacts(db, [r.versionId])).get(r.versionId) ?? [];
    return (await notifyDevices(db, r, 'shadow', MAX_NOTIFY_PER_TICK, artifacts, now)).notified;
  }
  if (now.getTime() < r.phaseStartedAt.getTime() + (r.shadow?.durationSeconds ?? 0) * 1000) return 0;
  const metrics = await loadMetrics(db, r.id, true);
  const verdict = evaluateShadowGates(r.gates, metrics, r.version);
  const summary = summariseShadow(metrics, r.version);
  // Rollback withdraws the candidate and cancels the cohort itself.
  if (!verdict.ok && r.onFailure === 'rollback') {
    await rollbackForGate({ db, now: () => now }, r.id, verdict);
    return 0;
  }
  const paused = await db.$transaction(async (tx) => {
    const [live] = await tx.$queryRaw<Array<{ status: string; currentPhase: number }>>`
      SELECT "status"::text AS "status", "currentPhase" FROM "rollouts" WHERE "id" = ${r.id} FOR UPDATE`;
    if (live?.status !== 'running' || live.currentPhase !== -1) return false;
    const cohort = await tx.rolloutDevice.findMany({
      where: { rolloutId: r.id, shadow: true, state: 'shadowing' },
      select: { deviceId: true },
    });
    await setShadow(
      tx,
      cohort.map((d) => d.deviceId),
      r.modelId,
      null,
    );
    await tx.rolloutDevice.updateMany({
      where: { rolloutId: r.id, shadow: true, state: 'shadowing' },
      data: { state: 'queued', notifiedAt: null, reason: null, stateChangedAt: now },
    });
    if (!verdict.ok) return pauseForGate(tx, r.id, verdict, now);
    await tx.rollout.update({
      where: { id: r.id },
      data: { currentPhase: 0, phaseStartedAt: now, phaseDoneAt: null },
    });
    const agreement =
      summary.agreementPercent === null ? 'no samples' : `agreement ${Math.round(summary.agreementPercent * 10) / 10}%`;
    await addRolloutEvents(tx, r.id, now, 'engine', [
      {
        kind: 'phase_passed',
        message: `shadow passed: ${agreement} over ${summary.devices} devices (${summary.samples} samples)`,
      },
      { kind: 'phase_started', message: `phase 1 (${r.phases[0]?.label}): up to ${r.phases[0]?.target} devices` },
    ]);
    return false;
  });
  if (paused && !verdict.ok) await auditGatePause(db, r.id, verdict);
  return 0;
}
