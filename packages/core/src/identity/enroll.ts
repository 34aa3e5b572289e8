import { randomBytes } from 'node:crypto';
import type { Db, PreauthorizedDeviceModel } from '@edgefleet/db/client';
import {
  type TEnrollPollRequest,
  type TEnrollRequest,
  type TEnrollResponse,
  ZEnrollPollRequest,
  ZEnrollRequest,
} from '@edgefleet/protocol/device';
import { recordAudit } from '../audit.ts';
import { DomainError } from '../errors.ts';
import { verifyCsr } from '../pki/index.ts';
import { systemClock } from '../tokens.ts';
import { groupIdByName, newDeviceId, readTags, sameDigest, sha256Hex } from './common.ts';
import { DEFAULT_CERT_VALIDITY_DAYS, type EnrollDeps, issuedBody, type RequestContext } from './deps.ts';
import { enrollmentTokenProblem, hashEnrollmentToken } from './enrollment-tokens.ts';
import { auditRefusals, parseOrInvalid } from './refusals.ts';

export { DEFAULT_CERT_VALIDITY_DAYS, type EnrollDeps, type RequestContext } from './deps.ts';
export { auditRefusals, parseOrInvalid } from './refusals.ts';
export { renewDeviceCertificate } from './renew.ts';

/** How long a pending device should wait between polls. */
export const POLL_INTERVAL_SECONDS = 15;
const POLL_SECRET_PREFIX = 'efp_';

const TOKEN_REFUSALS = {
  revoked: 'enrollment token has been revoked',
  expired: 'enrollment token has expired',
  used_up: 'enrollment token has been used up',
} as const;

/**
 * POST /v1/enroll. Policy, in order: the token must exist and be usable; the CSR must prove a
 * strong key; a preauthorizedOnly token needs a matching pre-authorization; a key enrolled
 * before is a replay. Then: pre-authorized or autoApprove → accepted with a certificate, else
 * pending with a one-time poll secret.
 */
export async function enrollDevice(deps: EnrollDeps, request: TEnrollRequest, ctx: RequestContext) {
  const actor = { kind: 'anonymous', label: 'device enrollment' } as const;
  const detail = { hostname: request?.facts?.hostname, tokenPrefix: request?.token?.slice(0, 10) };
  return auditRefusals(deps.db, { actor, action: 'device.enroll', ip: ctx.ip, detail }, () =>
    enroll(deps, request, ctx),
  );
}

async function enroll(deps: EnrollDeps, request: TEnrollRequest, ctx: RequestContext): Promise<TEnrollResponse> {
  const { db, pki } = deps;
  const now = (deps.clock ?? systemClock).now();
  const req = parseOrInvalid(ZEnrollRequest, request);

  const token = await db.enrollmentToken.findUnique({ where: { tokenHash: hashEnrollmentToken(req.token) } });
  if (!token) throw new DomainError('UNAUTHORIZED', 'unknown enrollment token');
  const problem = enrollmentTokenProblem(token, now);
  if (problem) throw new DomainError('UNAUTHORIZED', TOKEN_REFUSALS[problem], { tokenId: token.id });

  const { publicKeyPem } = verifyCsr(req.csr);
  const preauth = await findPreauthorization(db, req.facts);
  if (token.preauthorizedOnly && !preauth) {
    throw new DomainError('FORBIDDEN', 'this enrollment token only admits pre-authorized devices', {
      tokenId: token.id,
      serialNumber: req.facts.serialNumber ?? null,
      hardwareId: req.facts.hardwareId ?? null,
    });
  }
  await refuseKnownKey(db, publicKeyPem);

  const status = preauth || token.autoApprove ? 'accepted' : 'pending';
  const deviceId = newDeviceId();
  // Signed before the transaction so the token row stays locked only briefly. If the transaction
  // then refuses, the certificate was never recorded and so never authenticates anyone.
  const issued =
    status === 'accepted'
      ? pki.issueDeviceCertificate({
          csrPem: req.csr,
          deviceId,
          validityDays: deps.certValidityDays ?? DEFAULT_CERT_VALIDITY_DAYS,
          now,
        })
      : null;
  const pollSecret = status === 'pending' ? POLL_SECRET_PREFIX + randomBytes(32).toString('base64url') : null;

  await db.$transaction(
    async (tx) => {
      // Invariant: the use count only grows by a conditional UPDATE, and the row lock it takes is
      // held until commit. Concurrent enrollments with one token therefore run one after the
      // other from here on: at most maxUses succeed, and the replay check below sees every
      // device committed before it.
      const claimed = await tx.$executeRaw`
        UPDATE "enrollment_tokens" SET "uses" = "uses" + 1
        WHERE "id" = ${token.id} AND "revokedAt" IS NULL
          AND ("expiresAt" IS NULL OR "expiresAt" > ${now})
          AND ("maxUses" IS NULL OR "uses" < "maxUses")`;
      if (claimed !== 1) {
        const current = await tx.enrollmentToken.findUnique({ where: { id: token.id } });
        const why = current ? (enrollmentTokenProblem(current, now) ?? 'used_up') : 'revoked';
        throw new DomainError('UNAUTHORIZED', TOKEN_REFUSALS[why], { tokenId: token.id });
      }
      await refuseKnownKey(tx, publicKeyPem);
      if (preauth) {
        const used = await tx.preauthorizedDevice.updateMany({
          where: { id: preauth.id, usedAt: null },
          data: { usedAt: now, deviceId },
        });
        if (used.count !== 1)
          throw new DomainError('CONFLICT', 'this pre-authorization was just used by another device');
      }
      // A pre-authorization's group and tags override the token's.
      const groupId = await groupIdByName(tx, preauth?.groupName ?? token.groupName);
      await tx.device
        .create({
          data: {
            id: deviceId,
            name: req.facts.hostname,
            status,
            facts: req.facts,
            serialNumber: req.facts.serialNumber || null,
            hardwareId: req.facts.hardwareId || null,
            tags: { ...readTags(token.tags), ...(preauth ? readTags(preauth.tags) : {}) },
            groupId,
            enrollmentTokenId: token.id,
            pollSecretHash: pollSecret ? sha256Hex(pollSecret) : null,
            csrPem: status === 'pending' ? req.csr : null,
            publicKeyPem,
            createdAt: now,
            decidedAt: status === 'accepted' ? now : null,
          },
        })
        .catch((e: unknown) => {
          // The unique key index catches a replay racing this one under another token.
          if ((e as { code?: string }).code === 'P2002') {
            throw new DomainError('CONFLICT', 'this key is already enrolled; a replayed request changes nothing');
          }
          throw e;
        });
      if (issued) {
        await tx.deviceCertificate.create({
          data: {
            serial: issued.serial,
            deviceId,
            pem: issued.pem,
            notBefore: issued.notBefore,
            notAfter: issued.notAfter,
          },
        });
      }
    },
    { maxWait: 15_000, timeout: 15_000 },
  );

  await recordAudit(db, {
    actor: { kind: 'device', deviceId },
    action: 'device.enroll',
    target: { type: 'device', id: deviceId },
    outcome: 'success',
    detail: { status, tokenId: token.id, preauthorized: Boolean(preauth), serial: issued?.serial ?? null },
    ip: ctx.ip,
  });
  if (issued) return { status: 'accepted', deviceId, ...issuedBody(pki, issued) };
  return { status: 'pending', deviceId, pollSecret: pollSecret ?? undefined, retryAfterSeconds: POLL_INTERVAL_SECONDS };
}

type Reader = Pick<Db, 'device'>;

/** A replayed request carries a key that is already enrolled: refuse it, whoever sends it. */
async function refuseKnownKey(db: Reader, publicKeyPem: string) {
  const existing = await db.device.findFirst({ where: { publicKeyPem }, select: { id: true } });
  if (existing) {
    throw new DomainError('CONFLICT', 'this key is already enrolled; a replayed request changes nothing', {
      existingDeviceId: existing.id,
    });
  }
}

async function findPreauthorization(db: Db, facts: TEnrollRequest['facts']): Promise<PreauthorizedDeviceModel | null> {
  const ids = [
    ...(facts.serialNumber ? [{ kind: 'serial', value: facts.serialNumber }] : []),
    ...(facts.hardwareId ? [{ kind: 'hardwareId', value: facts.hardwareId }] : []),
  ];
  if (ids.length === 0) return null;
  // Each entry admits one device: a used one no longer matches.
  return db.preauthorizedDevice.findFirst({ where: { usedAt: null, OR: ids }, orderBy: { createdAt: 'asc' } });
}

/**
 * POST /v1/enroll/poll. The poll secret is the pending device's only credential: it is checked
 * in constant time, and it stops working once the certificate has been handed over.
 */
export async function pollEnrollment(
  deps: EnrollDeps,
  request: TEnrollPollRequest,
  ctx: RequestContext,
): Promise<TEnrollResponse> {
  const actor = { kind: 'anonymous', label: 'device enrollment poll' } as const;
  const detail = { deviceId: request?.deviceId };
  return auditRefusals(deps.db, { actor, action: 'device.enroll.poll', ip: ctx.ip, detail }, async () => {
    const req = parseOrInvalid(ZEnrollPollRequest, request);
    const secretHash = sha256Hex(req.pollSecret);
    const device = await deps.db.device.findUnique({
      where: { id: req.deviceId },
      select: {
        status: true,
        pollSecretHash: true,
        certificates: { where: { revokedAt: null }, orderBy: { createdAt: 'desc' }, take: 1 },
      },
    });
    if (!device?.pollSecretHash || !sameDigest(secretHash, device.pollSecretHash)) {
      throw new DomainError('UNAUTHORIZED', 'unknown device or poll secret');
    }
    const deviceId = req.deviceId;
    if (device.status === 'pending') return { status: 'pending', deviceId, retryAfterSeconds: POLL_INTERVAL_SECONDS };
    const cert = device.certificates[0];
    if (device.status !== 'accepted' || !cert) {
      const reason = device.status === 'rejected' ? 'rejected by an operator' : `device is ${device.status}`;
      return { status: 'rejected', deviceId, reason };
    }
    // Compare-and-clear: of two concurrent polls, only one receives the certificate.
    const delivered = await deps.db.device.updateMany({
      where: { id: deviceId, pollSecretHash: device.pollSecretHash },
      data: { pollSecretHash: null },
    });
    if (delivered.count !== 1) throw new DomainError('UNAUTHORIZED', 'unknown device or poll secret');
    await recordAudit(deps.db, {
      actor: { kind: 'device', deviceId },
      action: 'device.enroll.poll',
      target: { type: 'device', id: deviceId },
      outcome: 'success',
      detail: { delivered: cert.serial },
      ip: ctx.ip,
    });
    return { status: 'accepted', deviceId, ...issuedBody(deps.pki, cert) };
  });
}
