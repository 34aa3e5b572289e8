import { type Db, Prisma } from '@edgefleet/db/client';
import { compareSemver } from '@edgefleet/protocol/semver';
import type { Principal } from '../access.ts';
import { DomainError } from '../errors.ts';
import { type DesiredWrite, setDesired } from './desired.ts';
import {
  addRolloutEvents,
  auditRefusal,
  auditSuccess,
  clockOf,
  type DbOrTx,
  newPinId,
  type RolloutDeps,
} from './events.ts';
import { PLAN_TRANSACTION } from './plan.ts';
import {
  ACTIVE_STATUSES,
  lockModel,
  type PublishedVersion,
  pinHolds,
  pinsCte,
  publishedVersion,
  selectorCondition,
} from './targets.ts';
import { variantPicker } from './variants.ts';

/**
 * Pins keep a device, or every device of a group, on one version of a model. Setting one writes
 * that version into the held devices' desired state at once and takes them out of any active
 * rollout of the model (state `skipped`); rollouts planned later skip them. A device's own pin
 * wins over its group's. Removing a pin changes no desired state: the devices stay where they are
 * until a rollout moves them.
 */

export interface PinView {
  id: string;
  model: string;
  version: string;
  deviceId: string | null;
  deviceName: string | null;
  group: string | null;
  reason: string;
  createdAt: Date;
}

export interface PinInput {
  model: string;
  version: string;
  deviceId?: string;
  group?: string;
  reason?: string;
}

export interface SetPinResult {
  pin: PinView;
  /** Accepted devices the pin holds. */
  devices: number;
  /** Of those, devices whose desired state changed. */
  updated: number;
  /** Devices taken out of an active rollout of the model. */
  skippedInRollouts: number;
  /** Devices with no artifact of the version for their hardware (desired state left as it was). */
  noVariant: number;
}

const pinSelect = {
  id: true,
  version: { select: { version: true, model: { select: { name: true } } } },
  deviceId: true,
  device: { select: { name: true } },
  group: { select: { name: true } },
  reason: true,
  createdAt: true,
} as const satisfies Prisma.DevicePinSelect;

const toView = (p: Prisma.DevicePinGetPayload<{ select: typeof pinSelect }>): PinView => ({
  id: p.id,
  model: p.version.model.name,
  version: p.version.version,
  deviceId: p.deviceId,
  deviceName: p.device?.name ?? null,
  group: p.group?.name ?? null,
  reason: p.reason,
  createdAt: p.createdAt,
});

export async function setPin(deps: RolloutDeps, principal: Principal, input: PinInput): Promise<SetPinResult> {
  const { db } = deps;
  const target = input.deviceId ? { type: 'device', id: input.deviceId } : { type: 'group', id: input.group ?? '' };
  const audit = {
    actor: principal,
    action: 'pin.set',
    target,
    detail: { model: input.model, version: input.version, reason: input.reason ?? '' },
  };
  return auditRefusal(db, audit, async () => {
    if ((input.deviceId === undefined) === (input.group === undefined)) {
      throw new DomainError('INVALID', 'Pin either a device or a group');
    }
    const reason = (input.reason ?? '').trim().slice(0, 500);
    const version = await publishedVersion(db, input.model, input.version);
    const holder = await resolveHolder(db, input);
    const now = clockOf(deps)();
    const result = await db.$transaction(async (tx) => {
      await lockModel(tx, version.modelId);
      const existing = await tx.devicePin.findFirst({
        where: { modelId: version.modelId, ...holder.key },
        select: { id: true },
      });
      const id = existing?.id ?? newPinId();
      if (existing) await tx.devicePin.update({ where: { id }, data: { versionId: version.versionId, reason } });
      else {
        await tx.devicePin.create({
          data: {
            id,
            modelId: version.modelId,
            versionId: version.versionId,
            reason,
            createdById: principal.userId,
            ...holder.key,
          },
        });
      }
      const applied = await applyPin(tx, id, version, holder.condition, now);
      return { id, ...applied };
    }, PLAN_TRANSACTION);
    const pin = toView(await db.devicePin.findUniqueOrThrow({ where: { id: result.id }, select: pinSelect }));
    const { id: _id, ...counts } = result;
    await auditSuccess(db, {
      ...audit,
      target: { type: 'pin', id: result.id },
      detail: { ...audit.detail, ...target, ...counts },
    });
    return { pin, ...counts };
  });
}

async function resolveHolder(db: Db, input: PinInput) {
  if (input.deviceId) {
    const device = await db.device.findUnique({ where: { id: input.deviceId }, select: { id: true } });
    if (!device) throw new DomainError('NOT_FOUND', `No device with id ${input.deviceId}`);
    return { key: { deviceId: device.id }, condition: Prisma.sql`d."id" = ${device.id}` };
  }
  const name = input.group ?? '';
  const group = await db.deviceGroup.findUnique({ where: { name }, select: { id: true } });
  if (!group) throw new DomainError('NOT_FOUND', `No group named "${name}"`);
  return { key: { groupId: group.id }, condition: await selectorCondition(db, { kind: 'group', group: name }) };
}

/** Writes the pinned version for every accepted device this pin wins for, and skips them in active rollouts. */
async function applyPin(
  tx: Prisma.TransactionClient,
  pinId: string,
  version: PublishedVersion,
  condition: Prisma.Sql,
  now: Date,
): Promise<Omit<SetPinResult, 'pin'>> {
  const held = await tx.$queryRaw<
    Array<{
      id: string;
      facts: unknown;
      versionId: string | null;
      current: string | null;
      path: string | null;
      shadow: string | null;
    }>
  >`
    WITH ${pinsCte(version.modelId)}
    SELECT d."id", d."facts", dd."versionId", cv."version" AS "current", dd."artifactPath" AS "path",
      dd."shadowVersionId" AS "shadow"
    FROM "devices" d
    JOIN LATERAL (
      SELECT p."id" FROM pins p WHERE ${pinHolds} ORDER BY p."direct" DESC, p."id" LIMIT 1
    ) w ON w."id" = ${pinId}
    LEFT JOIN "device_desired_models" dd ON dd."deviceId" = d."id" AND dd."modelId" = ${version.modelId}
    LEFT JOIN "model_versions" cv ON cv."id" = dd."versionId"
    WHERE d."status" = 'accepted' AND ${condition}`;
  const artifacts = await tx.modelArtifact.findMany({
    where: { versionId: version.versionId },
    orderBy: { path: 'asc' },
    select: { path: true, accelerator: true, precision: true, runtime: true },
  });
  const pick = variantPicker(artifacts);
  const writes: DesiredWrite[] = [];
  let noVariant = 0;
  for (const d of held) {
    const variant = pick(d.facts);
    if (!variant) {
      noVariant += 1;
      continue;
    }
    if (d.versionId === version.versionId && d.path === variant.path && d.shadow === null) continue;
    writes.push({
      deviceId: d.id,
      modelId: version.modelId,
      versionId: version.versionId,
      artifactPath: variant.path,
      rollback: d.current !== null && compareSemver(version.version, d.current) < 0,
      force: false,
      rolloutId: null,
      attempt: 0,
      shadow: null,
    });
  }
  await setDesired(tx, writes);
  const skipped = await skipInActiveRollouts(
    tx,
    held.map((d) => d.id),
    version,
    `pinned to ${version.version} (pin ${pinId})`,
    now,
  );
  return { devices: held.length, updated: writes.length, skippedInRollouts: skipped, noVariant };
}

async function skipInActiveRollouts(
  tx: DbOrTx,
  deviceIds: string[],
  version: PublishedVersion,
  reason: string,
  now: Date,
): Promise<number> {
  if (deviceIds.length === 0) return 0;
  const rows = await tx.$queryRaw<Array<{ rolloutId: string; n: number }>>`
    WITH moved AS (
      UPDATE "rollout_devices" rd SET "state" = 'skipped', "reason" = ${reason}, "stateChangedAt" = ${now}::timestamp(3),
        "nextAttemptAt" = NULL, "updatedAt" = ${now}::timestamp(3)
      FROM "rollouts" r
      WHERE r."id" = rd."rolloutId" AND r."modelId" = ${version.modelId} AND r."status" IN ${ACTIVE_STATUSES}
        AND rd."deviceId" = ANY(${deviceIds}::text[])
        AND rd."state" IN ('queued', 'shadowing', 'notified', 'downloading', 'verifying', 'installing', 'health_check')
      RETURNING rd."rolloutId")
    SELECT "rolloutId", count(*)::int AS "n" FROM moved GROUP BY "rolloutId"`;
  for (const r of rows) {
    await addRolloutEvents(tx, r.rolloutId, now, 'engine', [
      { kind: 'devices_pinned', message: `${r.n} devices ${reason}: skipped` },
    ]);
  }
  return rows.reduce((n, r) => n + r.n, 0);
}

export async function removePin(deps: RolloutDeps, principal: Principal, id: string): Promise<PinView> {
  const { db } = deps;
  const audit = { actor: principal, action: 'pin.remove', target: { type: 'pin', id } };
  return auditRefusal(db, audit, async () => {
    const pin = await db.devicePin.findUnique({ where: { id }, select: pinSelect });
    if (!pin) throw new DomainError('NOT_FOUND', `No pin with id ${id}`);
    const deleted = await db.devicePin.deleteMany({ where: { id } });
    if (deleted.count !== 1) throw new DomainError('NOT_FOUND', `No pin with id ${id}`);
    const view = toView(pin);
    await auditSuccess(db, {
      ...audit,
      detail: { model: view.model, version: view.version, deviceId: view.deviceId, group: view.group },
    });
    return view;
  });
}

/** Pins, newest first; `deviceId` lists the pins that hold that device (its own and its groups'). */
export async function listPins(db: Db, q: { model?: string; deviceId?: string } = {}): Promise<PinView[]> {
  let ids: string[] | undefined;
  if (q.deviceId) {
    const rows = await db.$queryRaw<Array<{ id: string }>>`
      SELECT p."id" FROM "devices" d
      JOIN "device_pins" p ON p."deviceId" = d."id" OR p."groupId" IS NOT NULL
      LEFT JOIN "device_groups" g ON g."id" = p."groupId"
      WHERE d."id" = ${q.deviceId}
        AND (p."deviceId" = d."id" OR CASE
          WHEN g."selector" IS NULL OR jsonb_typeof(g."selector") <> 'object' OR g."selector" = '{}'::jsonb
            THEN COALESCE(d."groupId" = p."groupId", false)
          ELSE d."tags" @> g."selector" END)`;
    ids = rows.map((r) => r.id);
  }
  const rows = await db.devicePin.findMany({
    where: {
      ...(ids ? { id: { in: ids } } : {}),
      ...(q.model ? { version: { model: { name: q.model } } } : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
    select: pinSelect,
  });
  return rows.map(toView);
}
