import type { Db, Prisma } from '@edgefleet/db/client';
import type { TDeviceFacts } from '@edgefleet/protocol/device';
import type { Principal } from '../access.ts';
import { recordAudit } from '../audit.ts';
import { DomainError } from '../errors.ts';
import { type Clock, systemClock } from '../tokens.ts';
import { type DeviceStatus, groupIdByName, normaliseTags } from './common.ts';
import { DEFAULT_CERT_VALIDITY_DAYS, type EnrollDeps } from './deps.ts';
import { type DeviceSummary, readFacts, summarySelect, toSummary } from './device-list.ts';
import { auditRefusals } from './refusals.ts';

export {
  countDevicesByStatus,
  type DeviceListQuery,
  type DeviceSort,
  type DeviceSummary,
  listDevices,
} from './device-list.ts';

export interface DeviceCertificateView {
  serial: string;
  notBefore: Date;
  notAfter: Date;
  createdAt: Date;
  firstUsedAt: Date | null;
  retiredAt: Date | null;
  revokedAt: Date | null;
}

export interface DeviceDetail extends Omit<DeviceSummary, 'facts'> {
  facts: TDeviceFacts;
  serialNumber: string | null;
  hardwareId: string | null;
  decidedAt: Date | null;
  updatedAt: Date;
  enrollmentToken: { id: string; name: string } | null;
  certificates: DeviceCertificateView[];
}

const detailSelect = {
  ...summarySelect,
  serialNumber: true,
  hardwareId: true,
  decidedAt: true,
  updatedAt: true,
  enrollmentToken: { select: { id: true, name: true } },
} as const satisfies Prisma.DeviceSelect;

const certificateSelect = {
  serial: true,
  notBefore: true,
  notAfter: true,
  createdAt: true,
  firstUsedAt: true,
  retiredAt: true,
  revokedAt: true,
} as const;

export async function getDevice(db: Pick<Db, 'device' | 'deviceCertificate'>, id: string): Promise<DeviceDetail> {
  const row = await db.device.findUnique({ where: { id }, select: detailSelect });
  if (!row) throw new DomainError('NOT_FOUND', `No device with id ${id}`);
  const certificates = await db.deviceCertificate.findMany({
    where: { deviceId: id },
    orderBy: [{ createdAt: 'desc' }, { serial: 'asc' }],
    select: certificateSelect,
  });
  return {
    ...toSummary(row),
    facts: readFacts(row.facts),
    serialNumber: row.serialNumber,
    hardwareId: row.hardwareId,
    decidedAt: row.decidedAt,
    updatedAt: row.updatedAt,
    enrollmentToken: row.enrollmentToken,
    certificates,
  };
}

interface Transition {
  action: string;
  from: readonly DeviceStatus[];
  to: DeviceStatus;
  /** Revoke every certificate of the device, cutting it off the broker at once. */
  revokeCertificates: boolean;
  extra?: Prisma.DeviceUpdateManyMutationInput;
  /** Done inside the transaction after the status changed (approval records its certificate). */
  alsoInTransaction?: (tx: Prisma.TransactionClient, now: Date) => Promise<Record<string, unknown>>;
  now: Date;
}

/**
 * Moves a device between statuses with a compare-and-set on the status it was read in, so two
 * operators deciding at once cannot both win. Audited with the operator as actor either way.
 */
async function transition(db: Db, actor: Principal, id: string, t: Transition): Promise<DeviceDetail> {
  return auditRefusals(db, { actor, action: t.action, ip: null, detail: { deviceId: id } }, async () => {
    const current = await db.device.findUnique({ where: { id }, select: { status: true } });
    if (!current) throw new DomainError('NOT_FOUND', `No device with id ${id}`);
    const refuse = () =>
      new DomainError(
        'CONFLICT',
        `device ${id} is ${current.status}; only ${t.from.join(' or ')} devices can be changed so`,
        {
          deviceId: id,
        },
      );
    if (!t.from.includes(current.status)) throw refuse();
    const outcome = await db.$transaction(async (tx) => {
      const moved = await tx.device.updateMany({
        where: { id, status: current.status },
        data: { ...t.extra, status: t.to, decidedAt: t.now },
      });
      if (moved.count !== 1) throw refuse();
      const revoked = t.revokeCertificates
        ? (
            await tx.deviceCertificate.updateMany({
              where: { deviceId: id, revokedAt: null },
              data: { revokedAt: t.now },
            })
          ).count
        : 0;
      return { revokedCertificates: revoked, ...(await t.alsoInTransaction?.(tx, t.now)) };
    });
    await recordAudit(db, {
      actor,
      action: t.action,
      target: { type: 'device', id },
      outcome: 'success',
      detail: { from: current.status, to: t.to, ...outcome },
    });
    return getDevice(db, id);
  });
}

/** pending → accepted: the certificate is issued from the CSR stored at enrollment; the device collects it by polling. */
export async function approveDevice(deps: EnrollDeps, actor: Principal, id: string): Promise<DeviceDetail> {
  const now = (deps.clock ?? systemClock).now();
  const pending = await deps.db.device.findUnique({ where: { id }, select: { status: true, csrPem: true } });
  // Sign only when the transition can succeed; otherwise transition() reports why not.
  const issued =
    pending?.status === 'pending' && pending.csrPem
      ? deps.pki.issueDeviceCertificate({
          csrPem: pending.csrPem,
          deviceId: id,
          validityDays: deps.certValidityDays ?? DEFAULT_CERT_VALIDITY_DAYS,
          now,
        })
      : null;
  return transition(deps.db, actor, id, {
    action: 'device.approve',
    from: ['pending'],
    to: 'accepted',
    revokeCertificates: false,
    extra: { csrPem: null },
    now,
    alsoInTransaction: async (tx) => {
      if (!issued) throw new DomainError('CONFLICT', `device ${id} has no certificate request to approve`);
      await tx.deviceCertificate.create({
        data: {
          serial: issued.serial,
          deviceId: id,
          pem: issued.pem,
          notBefore: issued.notBefore,
          notAfter: issued.notAfter,
        },
      });
      return { serial: issued.serial };
    },
  });
}

export async function rejectDevice(db: Db, actor: Principal, id: string, clock: Clock = systemClock) {
  return transition(db, actor, id, {
    action: 'device.reject',
    from: ['pending'],
    to: 'rejected',
    revokeCertificates: false,
    extra: { csrPem: null },
    now: clock.now(),
  });
}

export async function revokeDevice(db: Db, actor: Principal, id: string, clock: Clock = systemClock) {
  return transition(db, actor, id, {
    action: 'device.revoke',
    from: ['accepted'],
    to: 'revoked',
    revokeCertificates: true,
    now: clock.now(),
  });
}

/** Any status → decommissioned: the device's record stays for history, its credentials all stop working. */
export async function decommissionDevice(db: Db, actor: Principal, id: string, clock: Clock = systemClock) {
  return transition(db, actor, id, {
    action: 'device.decommission',
    from: ['pending', 'accepted', 'rejected', 'revoked'],
    to: 'decommissioned',
    revokeCertificates: true,
    extra: { csrPem: null, pollSecretHash: null, online: false },
    now: clock.now(),
  });
}

export interface TagChange {
  set?: Record<string, string>;
  remove?: string[];
  /** A group name (found or created), null to leave every group, undefined to keep it. */
  group?: string | null;
}

/** Tag edits are one SQL statement (jsonb || set - remove), so concurrent edits never lose each other's keys. */
export async function setDeviceTags(db: Db, actor: Principal, id: string, change: TagChange): Promise<DeviceDetail> {
  return auditRefusals(db, { actor, action: 'device.tag', ip: null, detail: { deviceId: id } }, async () => {
    const set = normaliseTags(change.set);
    const remove = (change.remove ?? []).map((k) => k.trim()).filter(Boolean);
    const exists = await db.device.findUnique({ where: { id }, select: { id: true } });
    if (!exists) throw new DomainError('NOT_FOUND', `No device with id ${id}`);
    const moveGroup = change.group !== undefined;
    // An upserted group that ends up unused is harmless; one statement then changes the device.
    const groupId = change.group ? await groupIdByName(db, change.group) : null;
    await db.$executeRaw`
      UPDATE "devices"
      SET "tags" = ("tags" || ${JSON.stringify(set)}::jsonb) - ${remove}::text[],
          "groupId" = CASE WHEN ${moveGroup} THEN ${groupId} ELSE "groupId" END,
          "updatedAt" = now()
      WHERE "id" = ${id}`;
    await recordAudit(db, {
      actor,
      action: 'device.tag',
      target: { type: 'device', id },
      outcome: 'success',
      detail: { set, remove, ...(change.group !== undefined ? { group: change.group } : {}) },
    });
    return getDevice(db, id);
  });
}
