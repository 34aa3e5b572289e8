import type { Db, Prisma } from '@edgefleet/db/client';
import {
  type ROLLOUT_STATUSES,
  type TMaintenanceWindow,
  type TRolloutDeviceState,
  type TRolloutGates,
  type TRolloutSelector,
  type TRolloutStrategy,
  type TShadowPlan,
  ZRolloutSelector,
} from '@edgefleet/protocol/rollout';
import { DomainError } from '../errors.ts';
import { parseOrInvalid } from '../identity/refusals.ts';
import { emptyCounts, readShadowPlan, readStrategy, readWindow } from './engine-state.ts';
import { phasePlan, readGates, type StateCounts, shadowLabel } from './gates.ts';
import { selectorCondition, targetStats } from './targets.ts';

export { type DeviceModelView, deviceModels, type ModelDeployment, modelDeployments } from './device-views.ts';

/** Read side of rollouts, shaped for the API: lists, one rollout in detail, its devices, previews. */

export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];
export type RolloutDeviceState = TRolloutDeviceState;

export interface RolloutSummary {
  id: string;
  model: string;
  version: string;
  status: RolloutStatus;
  statusReason: string | null;
  /** -1 while the shadow phase runs, else the index into `phases`. */
  currentPhase: number;
  phaseCount: number;
  /** Devices that install the version (pinned ones excluded; they count as `skipped`). */
  deviceCount: number;
  counts: StateCounts;
  onFailure: 'pause' | 'rollback';
  createdAt: Date;
  /** Email or token name of whoever created it. */
  createdBy: string | null;
  finishedAt: Date | null;
}

export type PhaseStatus = 'pending' | 'active' | 'soaking' | 'passed';

export interface RolloutPhaseView {
  /** -1: the shadow phase. */
  index: number;
  label: string;
  /** Cumulative number of devices through once the phase passes (the cohort size for shadow). */
  target: number;
  soakSeconds: number;
  counts: StateCounts;
  status: PhaseStatus;
}

export interface RolloutEventView {
  id: string;
  at: Date;
  kind: string;
  message: string;
  actor: string | null;
}

export interface RolloutDetail extends RolloutSummary {
  selector: TRolloutSelector;
  strategy: TRolloutStrategy;
  gates: TRolloutGates;
  healthCheckSeconds: number;
  window: TMaintenanceWindow | null;
  shadow: TShadowPlan | null;
  maxConcurrent: number | null;
  stepTimeoutSeconds: number;
  maxRetries: number;
  force: boolean;
  phaseStartedAt: Date;
  phaseDoneAt: Date | null;
  phases: RolloutPhaseView[];
  /** The latest 200, newest first. */
  events: RolloutEventView[];
}

const summarySelect = {
  id: true,
  model: { select: { name: true } },
  version: { select: { version: true } },
  status: true,
  statusReason: true,
  currentPhase: true,
  strategy: true,
  deviceCount: true,
  onFailure: true,
  createdAt: true,
  finishedAt: true,
} as const satisfies Prisma.RolloutSelect;

type SummaryRow = Prisma.RolloutGetPayload<{ select: typeof summarySelect }>;

async function countsByRollout(db: Db, ids: string[]): Promise<Map<string, StateCounts>> {
  const out = new Map(ids.map((id) => [id, emptyCounts()]));
  if (ids.length === 0) return out;
  const rows = await db.rolloutDevice.groupBy({
    by: ['rolloutId', 'state'],
    where: { rolloutId: { in: ids } },
    _count: { _all: true },
  });
  for (const r of rows) {
    const counts = out.get(r.rolloutId);
    if (counts) counts[r.state] = r._count._all;
  }
  return out;
}

async function creators(db: Db, ids: string[]): Promise<Map<string, string | null>> {
  if (ids.length === 0) return new Map();
  const rows = await db.rolloutEvent.findMany({
    where: { rolloutId: { in: ids }, kind: 'created' },
    select: { rolloutId: true, actor: true },
  });
  return new Map(rows.map((r) => [r.rolloutId, r.actor]));
}

function toSummary(row: SummaryRow, counts: StateCounts | undefined, createdBy: string | null): RolloutSummary {
  return {
    id: row.id,
    model: row.model.name,
    version: row.version.version,
    status: row.status,
    statusReason: row.statusReason,
    currentPhase: row.currentPhase,
    phaseCount: phasePlan(readStrategy(row.strategy), row.deviceCount).length,
    deviceCount: row.deviceCount,
    counts: counts ?? emptyCounts(),
    onFailure: row.onFailure === 'rollback' ? 'rollback' : 'pause',
    createdAt: row.createdAt,
    createdBy,
    finishedAt: row.finishedAt,
  };
}

export interface RolloutListQuery {
  status?: RolloutStatus[];
  model?: string;
  limit?: number;
  cursor?: string | null;
}

const encodeCursor = (row: { createdAt: Date; id: string }) => `${row.createdAt.getTime().toString(36)}.${row.id}`;

function decodeCursor(raw: string): { at: Date; id: string } {
  const dot = raw.indexOf('.');
  const ms = Number.parseInt(raw.slice(0, dot), 36);
  if (dot < 1 || !Number.isFinite(ms)) throw new DomainError('INVALID', 'cursor is malformed');
  return { at: new Date(ms), id: raw.slice(dot + 1) };
}

/** Newest first, keyset-paged on (createdAt, id). */
export async function listRollouts(
  db: Db,
  q: RolloutListQuery = {},
): Promise<{ items: RolloutSummary[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(Math.trunc(q.limit ?? 50), 1), 200);
  const after = q.cursor ? decodeCursor(q.cursor) : null;
  const where: Prisma.RolloutWhereInput = {
    ...(q.status?.length ? { status: { in: q.status } } : {}),
    ...(q.model ? { model: { name: q.model } } : {}),
    ...(after ? { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: after.id } }] } : {}),
  };
  const rows = await db.rollout.findMany({
    where,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    select: summarySelect,
  });
  const page = rows.slice(0, limit);
  const ids = page.map((r) => r.id);
  const [counts, by] = await Promise.all([countsByRollout(db, ids), creators(db, ids)]);
  const last = page.at(-1);
  return {
    items: page.map((r) => toSummary(r, counts.get(r.id), by.get(r.id) ?? null)),
    nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
  };
}

export async function getRolloutSummary(db: Db, id: string): Promise<RolloutSummary> {
  const row = await db.rollout.findUnique({ where: { id }, select: summarySelect });
  if (!row) throw new DomainError('NOT_FOUND', `No rollout with id ${id}`);
  const [counts, by] = await Promise.all([countsByRollout(db, [id]), creators(db, [id])]);
  return toSummary(row, counts.get(id), by.get(id) ?? null);
}

function phaseStatus(
  index: number,
  r: { currentPhase: number; status: string; phaseDoneAt: Date | null },
): PhaseStatus {
  if (index < r.currentPhase || (index === r.currentPhase && r.status === 'completed')) return 'passed';
  if (index > r.currentPhase) return 'pending';
  return r.phaseDoneAt ? 'soaking' : 'active';
}

export async function getRollout(db: Db, id: string): Promise<RolloutDetail> {
  const row = await db.rollout.findUnique({
    where: { id },
    select: {
      ...summarySelect,
      selector: true,
      gates: true,
      window: true,
      shadow: true,
      maxConcurrent: true,
      stepTimeoutSeconds: true,
      maxRetries: true,
      force: true,
      phaseStartedAt: true,
      phaseDoneAt: true,
    },
  });
  if (!row) throw new DomainError('NOT_FOUND', `No rollout with id ${id}`);
  const [byPhase, byCohort, events] = await Promise.all([
    db.rolloutDevice.groupBy({ by: ['phase', 'state'], where: { rolloutId: id }, _count: { _all: true } }),
    db.rolloutDevice.groupBy({ by: ['state'], where: { rolloutId: id, shadow: true }, _count: { _all: true } }),
    db.rolloutEvent.findMany({
      where: { rolloutId: id },
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      take: 200,
      select: { id: true, at: true, kind: true, message: true, actor: true },
    }),
  ]);
  const counts = emptyCounts();
  const phaseCounts = new Map<number, StateCounts>();
  for (const g of byPhase) {
    counts[g.state] += g._count._all;
    const c = phaseCounts.get(g.phase) ?? emptyCounts();
    c[g.state] += g._count._all;
    phaseCounts.set(g.phase, c);
  }
  const strategy = readStrategy(row.strategy);
  const shadow = readShadowPlan(row.shadow);
  const phases: RolloutPhaseView[] = phasePlan(strategy, row.deviceCount).map((p) => ({
    ...p,
    counts: phaseCounts.get(p.index) ?? emptyCounts(),
    status: phaseStatus(p.index, row),
  }));
  if (shadow) {
    const cohort = emptyCounts();
    for (const g of byCohort) cohort[g.state] = g._count._all;
    const size = Object.values(cohort).reduce((n, c) => n + c, 0);
    phases.unshift({
      index: -1,
      label: shadowLabel(shadow),
      target: size,
      soakSeconds: shadow.durationSeconds,
      counts: cohort,
      status: phaseStatus(-1, row),
    });
  }
  const { healthCheckSeconds, acceptedFailures: _accepted, ...gates } = readGates(row.gates);
  const createdBy = events.find((e) => e.kind === 'created')?.actor ?? (await creators(db, [id])).get(id) ?? null;
  return {
    ...toSummary(row, counts, createdBy),
    selector: ZRolloutSelector.parse(row.selector),
    strategy,
    gates,
    healthCheckSeconds,
    window: readWindow(row.window),
    shadow,
    maxConcurrent: row.maxConcurrent,
    stepTimeoutSeconds: row.stepTimeoutSeconds,
    maxRetries: row.maxRetries,
    force: row.force,
    phaseStartedAt: row.phaseStartedAt,
    phaseDoneAt: row.phaseDoneAt,
    phases,
    events,
  };
}

export interface RolloutDeviceView {
  deviceId: string;
  deviceName: string;
  online: boolean;
  lastSeenAt: Date | null;
  phase: number;
  ordinal: number;
  /** In the shadow cohort. */
  shadow: boolean;
  state: TRolloutDeviceState;
  reason: string | null;
  attempts: number;
  /** The version the device had before (what a rollback returns it to); null: none. */
  previousVersion: string | null;
  artifactPath: string | null;
  stateChangedAt: Date;
}

export interface RolloutDeviceQuery {
  state?: TRolloutDeviceState[];
  /** -1: the shadow cohort. */
  phase?: number;
  limit?: number;
  /** The last ordinal of the previous page. */
  cursor?: number | null;
}

/** The rollout's devices in rollout order, keyset-paged on ordinal (the (rolloutId, ordinal) index). */
export async function listRolloutDevices(
  db: Db,
  rolloutId: string,
  q: RolloutDeviceQuery = {},
): Promise<{ items: RolloutDeviceView[]; nextCursor: number | null }> {
  const limit = Math.min(Math.max(Math.trunc(q.limit ?? 100), 1), 500);
  const exists = await db.rollout.findUnique({ where: { id: rolloutId }, select: { id: true } });
  if (!exists) throw new DomainError('NOT_FOUND', `No rollout with id ${rolloutId}`);
  const rows = await db.rolloutDevice.findMany({
    where: {
      rolloutId,
      ...(q.state?.length ? { state: { in: q.state } } : {}),
      ...(q.phase === -1 ? { shadow: true } : q.phase !== undefined ? { phase: q.phase } : {}),
      ...(q.cursor !== undefined && q.cursor !== null ? { ordinal: { gt: q.cursor } } : {}),
    },
    orderBy: { ordinal: 'asc' },
    take: limit + 1,
    select: {
      deviceId: true,
      phase: true,
      ordinal: true,
      shadow: true,
      state: true,
      reason: true,
      attempts: true,
      previousVersionId: true,
      artifactPath: true,
      stateChangedAt: true,
      device: { select: { name: true, online: true, lastSeenAt: true } },
    },
  });
  const page = rows.slice(0, limit);
  const versions = await db.modelVersion.findMany({
    where: { id: { in: [...new Set(page.flatMap((r) => (r.previousVersionId ? [r.previousVersionId] : [])))] } },
    select: { id: true, version: true },
  });
  const semver = new Map(versions.map((v) => [v.id, v.version]));
  return {
    items: page.map((r) => ({
      deviceId: r.deviceId,
      deviceName: r.device.name,
      online: r.device.online,
      lastSeenAt: r.device.lastSeenAt,
      phase: r.phase,
      ordinal: r.ordinal,
      shadow: r.shadow,
      state: r.state,
      reason: r.reason,
      attempts: r.attempts,
      previousVersion: r.previousVersionId ? (semver.get(r.previousVersionId) ?? null) : null,
      artifactPath: r.artifactPath,
      stateChangedAt: r.stateChangedAt,
    })),
    nextCursor: rows.length > limit ? (page.at(-1)?.ordinal ?? null) : null,
  };
}

export interface SelectorPreview {
  /** Accepted devices the selector matches. */
  matched: number;
  /** Of those, held by a pin on the model (a rollout skips them). */
  pinned: number;
  /** Unpinned ones already in an active rollout of the model (a rollout would be refused). */
  busy: number;
  eligible: number;
}

/** What createRollout would see for this selector; `version` is accepted for symmetry and not needed. */
export async function previewSelector(
  db: Db,
  input: { model: string; version?: string; selector: TRolloutSelector },
): Promise<SelectorPreview> {
  const selector = parseOrInvalid(ZRolloutSelector, input.selector);
  const model = await db.model.findUnique({ where: { name: input.model }, select: { id: true } });
  if (!model) throw new DomainError('NOT_FOUND', `No model named "${input.model}"`);
  const stats = await targetStats(db, model.id, await selectorCondition(db, selector));
  return { matched: stats.matched, pinned: stats.pinned, busy: stats.busy, eligible: stats.eligible };
}
