import type { Db } from '@edgefleet/db/client';
import { ZModelName, ZSemver } from '@edgefleet/protocol/registry';
import type { TDeviceInstruction } from '@edgefleet/protocol/rollout';
import type { DirectorKey } from './director-key.ts';
import { delegatedRoleNames, directorRoot, signDeviceSet } from './director-metadata.ts';
import { loadInstructionInputs } from './instruction.ts';

export { DEFAULT_HEALTH_CHECK_SECONDS } from './instruction.ts';

/**
 * Each device's TUF repository (served by the gateway under /v1/tuf/<file>): signed on demand
 * from its desired rows, stored in `device_instructions`, read back byte for byte.
 *
 * Versions: `version` counts desired changes (see desired.ts); a signature carries
 * max(version, signedVersion + 1), so versions only grow. It is stored with a conditional update
 * on the `signedVersion` that was read, so two replicas never store two documents under one
 * version; `dirty` is cleared only if no change arrived since the row was read.
 */
export interface RepositoryDeps {
  db: Db;
  director: DirectorKey;
  now?: () => Date;
  /** Validity of a signed set (targets, snapshot, timestamp). */
  ttlMs?: number;
}

export const DEFAULT_INSTRUCTION_TTL_MS = 24 * 3600_000;
const REFRESH_BEFORE_MS = 12 * 3600_000;

export interface SignedInstruction {
  deviceId: string;
  version: number;
  issuedAt: string;
}

interface InstructionRow {
  deviceId: string;
  version: number;
  dirty: boolean;
  signedVersion: number;
  snapshotJson: string | null;
  timestampJson: string | null;
  expiresAt: Date | null;
}

/** The instruction the device's next signature would carry. */
export async function buildInstruction(db: Db, deviceId: string, now = new Date()): Promise<TDeviceInstruction> {
  const inputs = (await loadInstructionInputs(db, [deviceId], now)).get(deviceId);
  if (!inputs) throw new Error('unreachable: loadInstructionInputs answers for every id');
  return inputs.instruction;
}

/** Signs the rows and stores each signature unless another signer got there first. */
async function signRows(deps: RepositoryDeps, rows: InstructionRow[], now: Date): Promise<SignedInstruction[]> {
  if (rows.length === 0) return [];
  const inputs = await loadInstructionInputs(
    deps.db,
    rows.map((r) => r.deviceId),
    now,
  );
  const expires = new Date(Math.floor((now.getTime() + (deps.ttlMs ?? DEFAULT_INSTRUCTION_TTL_MS)) / 1000) * 1000);
  const signed = rows.flatMap((row) => {
    const input = inputs.get(row.deviceId);
    if (!input) return [];
    const version = Math.max(row.version, row.signedVersion + 1);
    const set = signDeviceSet(deps.director, {
      version,
      expires,
      instruction: input.instruction,
      delegated: input.delegated,
      previousSnapshotJson: row.snapshotJson,
    });
    return [{ row, version, issuedAt: input.instruction.issuedAt, set }];
  });
  const stored = await deps.db.$queryRaw<{ deviceId: string }[]>`
    UPDATE "device_instructions" i SET
      "signedVersion" = u."version",
      "version" = GREATEST(i."version", u."version"),
      "dirty" = (i."version" <> u."readVersion"),
      "targetsJson" = u."targets", "snapshotJson" = u."snapshot", "timestampJson" = u."timestamp",
      "expiresAt" = ${expires}
    FROM unnest(
      ${signed.map((s) => s.row.deviceId)}::text[],
      ${signed.map((s) => s.row.signedVersion)}::int[],
      ${signed.map((s) => s.row.version)}::int[],
      ${signed.map((s) => s.version)}::int[],
      ${signed.map((s) => s.set.targetsJson)}::text[],
      ${signed.map((s) => s.set.snapshotJson)}::text[],
      ${signed.map((s) => s.set.timestampJson)}::text[]
    ) AS u("deviceId", "readSigned", "readVersion", "version", "targets", "snapshot", "timestamp")
    WHERE i."deviceId" = u."deviceId" AND i."signedVersion" = u."readSigned"
    RETURNING i."deviceId"`;
  const won = new Set(stored.map((s) => s.deviceId));
  return signed
    .filter((s) => won.has(s.row.deviceId))
    .map((s) => ({ deviceId: s.row.deviceId, version: s.version, issuedAt: s.issuedAt }));
}

const rowSelect = {
  deviceId: true,
  version: true,
  dirty: true,
  signedVersion: true,
  snapshotJson: true,
  timestampJson: true,
  expiresAt: true,
} as const;

function needsSigning(row: InstructionRow, now: Date, ttlMs: number): boolean {
  if (row.dirty || !row.timestampJson || !row.expiresAt) return true;
  return row.expiresAt.getTime() - now.getTime() < Math.min(REFRESH_BEFORE_MS, ttlMs / 2);
}

/**
 * Signs devices whose desired set changed (oldest change first) and returns what the gateway
 * should announce: a retained ZDesiredNotice each, then markNotified. A device that another
 * signer (e.g. its own metadata request) got to first is left out: it already has the version.
 */
export async function signPendingInstructions(deps: RepositoryDeps, limit = 500): Promise<SignedInstruction[]> {
  const rows = await deps.db.deviceInstruction.findMany({
    where: { dirty: true, device: { status: 'accepted' } },
    orderBy: { changedAt: 'asc' },
    take: limit,
    select: rowSelect,
  });
  return signRows(deps, rows, (deps.now ?? (() => new Date()))());
}

/**
 * Signed instructions whose doorbell has not gone out: a publish that failed, or a set signed on
 * a device's own request. The outbox rings these again, so no change waits for a reconnect.
 */
export async function unannouncedInstructions(db: Db, limit = 500): Promise<SignedInstruction[]> {
  const rows = await db.$queryRaw<Array<{ deviceId: string; version: number; changedAt: Date }>>`
    SELECT i."deviceId", i."signedVersion" AS "version", i."changedAt"
    FROM "device_instructions" i JOIN "devices" d ON d."id" = i."deviceId"
    WHERE i."signedVersion" > i."notifiedVersion" AND NOT i."dirty" AND d."status" = 'accepted'
    ORDER BY i."changedAt" LIMIT ${limit}`;
  return rows.map((r) => ({ deviceId: r.deviceId, version: r.version, issuedAt: r.changedAt.toISOString() }));
}

/** Records that `version` was announced; never moves backwards. */
export async function markNotified(db: Db, deviceId: string, version: number): Promise<void> {
  await db.deviceInstruction.updateMany({
    where: { deviceId, notifiedVersion: { lt: version } },
    data: { notifiedVersion: version },
  });
}

const loadRow = (db: Db, deviceId: string) =>
  db.deviceInstruction.findFirst({ where: { deviceId, device: { status: 'accepted' } } });

/**
 * The device's stored set, signed first when it is missing, or when `refresh` (a timestamp
 * request: where every TUF update starts) and it changed or expires soon. Accepted devices only;
 * one that has no row yet gets an empty instruction, so its agent can refresh from day one.
 */
async function currentSet(deps: RepositoryDeps, deviceId: string, refresh: boolean) {
  const { db } = deps;
  let row = await loadRow(db, deviceId);
  if (!row) {
    await db.$executeRaw`
      INSERT INTO "device_instructions" ("deviceId", "version", "dirty")
      SELECT "id", 1, true FROM "devices" WHERE "id" = ${deviceId} AND "status" = 'accepted'
      ON CONFLICT ("deviceId") DO NOTHING`;
    row = await loadRow(db, deviceId);
    if (!row) return null;
  }
  const now = (deps.now ?? (() => new Date()))();
  if (!row.timestampJson || (refresh && needsSigning(row, now, deps.ttlMs ?? DEFAULT_INSTRUCTION_TTL_MS))) {
    await signRows(deps, [row], now);
    row = await loadRow(db, deviceId);
  }
  return row;
}

const TOP_LEVEL = {
  'timestamp.json': 'timestampJson',
  'snapshot.json': 'snapshotJson',
  'targets.json': 'targetsJson',
} as const;

/**
 * One file of the device's own repository, or null (404). `file` may be URL-encoded as tuf-js
 * requests it (`detector%401.2.0.json`). Delegated role files are served only for roles the
 * device's current targets delegate to.
 */
export async function readDeviceMetadata(deps: RepositoryDeps, deviceId: string, file: string): Promise<string | null> {
  let name: string;
  try {
    name = decodeURIComponent(file);
  } catch {
    return null;
  }
  if (name === '1.root.json') return directorRoot(deps.director);
  if (Object.hasOwn(TOP_LEVEL, name)) {
    const row = await currentSet(deps, deviceId, name === 'timestamp.json');
    return row?.[TOP_LEVEL[name as keyof typeof TOP_LEVEL]] ?? null;
  }
  if (!name.endsWith('.json')) return null;
  const role = name.slice(0, -'.json'.length);
  // Versions never contain '@'; model names neither, but split on the last one regardless.
  const at = role.lastIndexOf('@');
  const model = ZModelName.safeParse(role.slice(0, at));
  const version = ZSemver.safeParse(role.slice(at + 1));
  if (at <= 0 || !model.success || !version.success) return null;
  const row = await loadRow(deps.db, deviceId);
  if (!row?.targetsJson || !delegatedRoleNames(row.targetsJson).has(role)) return null;
  const stored = await deps.db.modelVersion.findFirst({
    where: { version: version.data, status: 'published', model: { name: model.data } },
    select: { signedMetadata: true },
  });
  return stored?.signedMetadata ?? null;
}
