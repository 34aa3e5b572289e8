import { randomBytes } from 'node:crypto';
import type { Db, Prisma } from '@edgefleet/db/client';
import { MAX_DIAGNOSTICS_BYTES, type TDiagnosticsBundle, ZDiagnosticsBundle } from '@edgefleet/protocol/health';
import type { Principal } from '../access.ts';
import { type AuditActor, recordAudit } from '../audit.ts';
import { DomainError, isDomainError } from '../errors.ts';
import { recordDeviceEvent } from './events.ts';

/**
 * Remote diagnostics: an operator asks a device for a bundle (request → `pending`); the gateway
 * rings the device's doorbell; the device uploads over mTLS (→ `uploaded`, once); a request never
 * answered within DIAGNOSTICS_EXPIRY_MS is `expired`.
 *
 * `notifiedAt` means "the device's retained notice reflects this row as it is now": null on a new
 * request, and set back to null when the request leaves `pending` (uploaded, expired), so the
 * doorbell republishes (or clears) the device's notice after every change of its pending set.
 */

export type DiagnosticsStatus = 'pending' | 'uploaded' | 'expired';

/** Requests a device may have outstanding at once: more would only queue identical bundles. */
export const MAX_PENDING_PER_DEVICE = 3;
export const DIAGNOSTICS_EXPIRY_MS = 7 * 86_400_000;

export interface DiagnosticsDeps {
  db: Db;
  now?: () => Date;
}

export interface DiagnosticsRequestView {
  id: string;
  deviceId: string;
  requestedBy: string;
  requestedAt: Date;
  status: DiagnosticsStatus;
  notifiedAt: Date | null;
  uploadedAt: Date | null;
  sizeBytes: number | null;
}

export interface DiagnosticsBundleView extends DiagnosticsRequestView {
  bundle: TDiagnosticsBundle | null;
}

/** `diag_` + 16 hex characters (64 random bits): not guessable, so one device cannot aim at another's. */
export const newDiagnosticsId = () => `diag_${randomBytes(8).toString('hex')}`;

const clockOf = (deps: DiagnosticsDeps) => deps.now ?? (() => new Date());
const cutoff = (now: Date) => new Date(now.getTime() - DIAGNOSTICS_EXPIRY_MS);

const viewSelect = {
  id: true,
  deviceId: true,
  requestedBy: true,
  requestedAt: true,
  status: true,
  notifiedAt: true,
  uploadedAt: true,
  sizeBytes: true,
} as const satisfies Prisma.DiagnosticsRequestSelect;

type Row = Prisma.DiagnosticsRequestGetPayload<{ select: typeof viewSelect }>;

/** A pending request past its expiry reads as expired even before the sweep has marked it. */
function toView(row: Row, now: Date): DiagnosticsRequestView {
  const stale = row.status === 'pending' && row.requestedAt < cutoff(now);
  return { ...row, status: stale ? 'expired' : (row.status as DiagnosticsStatus) };
}

const actorLabel = (p: Principal) => (p.kind === 'user' ? p.email : `${p.tokenName} (${p.email})`);

/** Runs `run`; a DomainError it throws is written to the audit log (once) before it is rethrown. */
async function auditingRefusal<T>(
  db: Db,
  entry: { actor: AuditActor; action: string; target: { type: string; id: string }; detail?: Record<string, unknown> },
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isDomainError(error) && !error.audited) {
      await recordAudit(db, {
        ...entry,
        outcome: 'failure',
        detail: { ...entry.detail, code: error.code, error: error.message },
      });
      error.audited = true;
    }
    throw error;
  }
}

/** An operator asks an accepted device for a bundle. */
export async function requestDiagnostics(
  deps: DiagnosticsDeps,
  input: { deviceId: string; actor: Principal },
): Promise<DiagnosticsRequestView> {
  const { db } = deps;
  const now = clockOf(deps)();
  const audit = { actor: input.actor, action: 'diagnostics.request', target: { type: 'device', id: input.deviceId } };
  return auditingRefusal(db, audit, async () => {
    const row = await db.$transaction(async (tx) => {
      // The device row lock serialises concurrent requests for one device, so the cap holds.
      const locked = await tx.$queryRaw<{ status: string }[]>`
        SELECT "status"::text AS "status" FROM "devices" WHERE "id" = ${input.deviceId} FOR UPDATE`;
      const device = locked[0];
      if (!device) throw new DomainError('NOT_FOUND', `No device ${input.deviceId}`);
      if (device.status !== 'accepted') {
        throw new DomainError(
          'PRECONDITION_FAILED',
          `Device ${input.deviceId} is ${device.status}: only accepted devices can send diagnostics`,
        );
      }
      const pending = await tx.diagnosticsRequest.count({
        where: { deviceId: input.deviceId, status: 'pending', requestedAt: { gte: cutoff(now) } },
      });
      if (pending >= MAX_PENDING_PER_DEVICE) {
        throw new DomainError(
          'CONFLICT',
          `Device ${input.deviceId} already has ${pending} diagnostics requests waiting for an answer`,
        );
      }
      return tx.diagnosticsRequest.create({
        data: {
          id: newDiagnosticsId(),
          deviceId: input.deviceId,
          requestedBy: actorLabel(input.actor),
          requestedAt: now,
          status: 'pending',
        },
        select: viewSelect,
      });
    });
    await recordDeviceEvent(db, {
      deviceId: input.deviceId,
      seq: null,
      ts: now,
      source: 'operator',
      kind: 'diagnostics_requested',
      severity: 'info',
      message: `Diagnostics requested by ${row.requestedBy}`,
    });
    await recordAudit(db, { ...audit, outcome: 'success', detail: { requestId: row.id } });
    return toView(row, now);
  });
}

/** The device's requests still waiting for a bundle, oldest first (what `GET /v1/diagnostics/pending` answers). */
export async function pendingFor(deps: DiagnosticsDeps, deviceId: string): Promise<string[]> {
  const now = clockOf(deps)();
  const rows = await deps.db.diagnosticsRequest.findMany({
    where: { deviceId, status: 'pending', requestedAt: { gte: cutoff(now) } },
    orderBy: [{ requestedAt: 'asc' }, { id: 'asc' }],
    select: { id: true },
    take: 100,
  });
  return rows.map((r) => r.id);
}

const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;

/** A private key that slipped into a bundle is not stored (the agent redacts; this is the second line). */
function scrubKeys(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(PRIVATE_KEY_PEM, '[redacted]');
  if (Array.isArray(value)) return value.map(scrubKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubKeys(v)]));
  }
  return value;
}

/**
 * A device answers one of its own pending requests. Anything else is refused and audited with
 * the device as actor: another device's request (or an unknown id) NOT_FOUND, one already
 * answered or expired CONFLICT, a bundle that does not validate or is too large INVALID.
 */
export async function storeBundle(
  deps: DiagnosticsDeps,
  input: { deviceId: string; requestId: string; bundle: unknown; ip?: string | null },
): Promise<DiagnosticsRequestView> {
  const { db } = deps;
  const now = clockOf(deps)();
  const audit = {
    actor: { kind: 'device', deviceId: input.deviceId } as const,
    action: 'device.diagnostics.upload',
    target: { type: 'diagnostics', id: input.requestId.slice(0, 64) },
    ip: input.ip ?? null,
  };
  return auditingRefusal(db, audit, async () => {
    const request = await db.diagnosticsRequest.findUnique({ where: { id: input.requestId }, select: viewSelect });
    // Another device's request reads as unknown: a device learns nothing about the others.
    if (!request || request.deviceId !== input.deviceId) {
      throw new DomainError('NOT_FOUND', `No diagnostics request ${input.requestId} for this device`);
    }
    const status = toView(request, now).status;
    if (status !== 'pending') throw new DomainError('CONFLICT', `Diagnostics request ${request.id} is ${status}`);
    const parsed = ZDiagnosticsBundle.safeParse(input.bundle);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      throw new DomainError('INVALID', `Invalid diagnostics bundle: ${where}${issue?.message ?? 'invalid'}`);
    }
    const bundle = scrubKeys(parsed.data) as TDiagnosticsBundle;
    const sizeBytes = Buffer.byteLength(JSON.stringify(bundle));
    if (sizeBytes > MAX_DIAGNOSTICS_BYTES) {
      throw new DomainError('INVALID', `Diagnostics bundle is ${sizeBytes} bytes; at most ${MAX_DIAGNOSTICS_BYTES}`);
    }
    // Conditional on still pending: of two uploads racing for one request, exactly one wins.
    const { count } = await db.diagnosticsRequest.updateMany({
      where: { id: request.id, status: 'pending' },
      data: {
        status: 'uploaded',
        uploadedAt: now,
        bundle: bundle as unknown as Prisma.InputJsonValue,
        sizeBytes,
        notifiedAt: null,
      },
    });
    if (count === 0) throw new DomainError('CONFLICT', `Diagnostics request ${request.id} was answered already`);
    await recordDeviceEvent(db, {
      deviceId: input.deviceId,
      seq: null,
      ts: now,
      source: 'gateway',
      kind: 'diagnostics_uploaded',
      severity: 'info',
      message: `Diagnostics bundle uploaded (${Math.max(1, Math.round(sizeBytes / 1024))} KiB)`,
    });
    await recordAudit(db, { ...audit, outcome: 'success', detail: { sizeBytes } });
    return { ...request, status: 'uploaded', uploadedAt: now, sizeBytes, notifiedAt: null };
  });
}

/** A device's requests, newest first, without bundles. */
export async function listDiagnostics(
  deps: DiagnosticsDeps,
  deviceId: string,
  opts: { limit?: number } = {},
): Promise<DiagnosticsRequestView[]> {
  const now = clockOf(deps)();
  const rows = await deps.db.diagnosticsRequest.findMany({
    where: { deviceId },
    orderBy: [{ requestedAt: 'desc' }, { id: 'desc' }],
    take: Math.min(Math.max(opts.limit ?? 20, 1), 100),
    select: viewSelect,
  });
  return rows.map((r) => toView(r, now));
}

/** One request with its bundle (null until uploaded). */
export async function getDiagnostics(deps: DiagnosticsDeps, id: string): Promise<DiagnosticsBundleView> {
  const now = clockOf(deps)();
  const row = await deps.db.diagnosticsRequest.findUnique({
    where: { id },
    select: { ...viewSelect, bundle: true },
  });
  if (!row) throw new DomainError('NOT_FOUND', `No diagnostics request ${id}`);
  const { bundle, ...rest } = row;
  return { ...toView(rest, now), bundle: (bundle as TDiagnosticsBundle | null) ?? null };
}

// ---- Doorbell (the gateway's notice poller) ----

/** Devices whose retained notice is out of date: a new request, or one that left `pending`. */
export async function devicesToNotify(db: Db, limit = 500): Promise<string[]> {
  const rows = await db.diagnosticsRequest.findMany({
    where: { notifiedAt: null },
    distinct: ['deviceId'],
    select: { deviceId: true },
    orderBy: { deviceId: 'asc' },
    take: limit,
  });
  return rows.map((r) => r.deviceId);
}

/** The rows a notice covers, with the status each had when it was read. */
export interface NoticeRows {
  pending: string[];
  settled: string[];
}

/**
 * What the device's notice should say now: its pending request ids, and the rows that notice
 * covers (`seen`, for markNotified: a request created, or answered, after this read is rung next round).
 */
export async function noticeFor(
  deps: DiagnosticsDeps,
  deviceId: string,
): Promise<{ requestIds: string[]; seen: NoticeRows }> {
  const rows = await deps.db.diagnosticsRequest.findMany({
    where: { deviceId, notifiedAt: null },
    select: { id: true, status: true },
  });
  const seen = {
    pending: rows.filter((r) => r.status === 'pending').map((r) => r.id),
    settled: rows.filter((r) => r.status !== 'pending').map((r) => r.id),
  };
  return { requestIds: await pendingFor(deps, deviceId), seen };
}

/** The notice covering `seen` went out (the broker took it); rows that changed since stay to be rung. */
export async function markNotified(deps: DiagnosticsDeps, deviceId: string, seen: NoticeRows): Promise<void> {
  const notifiedAt = clockOf(deps)();
  if (seen.pending.length > 0) {
    await deps.db.diagnosticsRequest.updateMany({
      where: { deviceId, id: { in: seen.pending }, status: 'pending', notifiedAt: null },
      data: { notifiedAt },
    });
  }
  if (seen.settled.length > 0) {
    await deps.db.diagnosticsRequest.updateMany({
      where: { deviceId, id: { in: seen.settled }, status: { not: 'pending' }, notifiedAt: null },
      data: { notifiedAt },
    });
  }
}

/** Marks requests unanswered for DIAGNOSTICS_EXPIRY_MS expired (idempotent; any gateway may run it). */
export async function expireDiagnostics(deps: DiagnosticsDeps): Promise<number> {
  const { count } = await deps.db.diagnosticsRequest.updateMany({
    where: { status: 'pending', requestedAt: { lt: cutoff(clockOf(deps)()) } },
    data: { status: 'expired', notifiedAt: null },
  });
  return count;
}
