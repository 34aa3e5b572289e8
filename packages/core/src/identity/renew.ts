import type { TRenewResponse } from '@edgefleet/protocol/device';
import { recordAudit } from '../audit.ts';
import { DomainError } from '../errors.ts';
import { verifyCsr } from '../pki/index.ts';
import { systemClock } from '../tokens.ts';
import { DEFAULT_CERT_VALIDITY_DAYS, type EnrollDeps, issuedBody, type RequestContext } from './deps.ts';
import { auditRefusals } from './refusals.ts';

/**
 * POST /v1/certificate/renew. `who` comes from a client certificate TLS has verified; it is
 * checked again here so core never trusts a transport. The new certificate keeps the device id;
 * the old serial stays valid until the new one is first used (see devices/session.ts).
 */
export async function renewDeviceCertificate(
  deps: EnrollDeps,
  who: { deviceId: string; serial: string },
  csrPem: string,
  ctx: RequestContext = { ip: null },
): Promise<TRenewResponse> {
  const { db, pki } = deps;
  const actor = { kind: 'device', deviceId: who.deviceId } as const;
  return auditRefusals(db, { actor, action: 'device.certificate.renew', ip: ctx.ip, detail: { ...who } }, async () => {
    const now = (deps.clock ?? systemClock).now();
    const device = await db.device.findUnique({
      where: { id: who.deviceId },
      select: {
        status: true,
        certificates: { where: { serial: who.serial }, select: { revokedAt: true, retiredAt: true, notAfter: true } },
      },
    });
    const current = device?.certificates[0];
    if (
      device?.status !== 'accepted' ||
      !current ||
      current.revokedAt ||
      current.retiredAt ||
      current.notAfter <= now
    ) {
      throw new DomainError('FORBIDDEN', 'only an accepted device with a valid certificate may renew');
    }
    const { publicKeyPem } = verifyCsr(csrPem);
    const other = await db.device.findFirst({
      where: { publicKeyPem, id: { not: who.deviceId } },
      select: { id: true },
    });
    if (other) throw new DomainError('CONFLICT', 'this key belongs to another device');
    const issued = pki.issueDeviceCertificate({
      csrPem,
      deviceId: who.deviceId,
      validityDays: deps.certValidityDays ?? DEFAULT_CERT_VALIDITY_DAYS,
      now,
    });
    await db.$transaction([
      db.deviceCertificate.create({
        data: {
          serial: issued.serial,
          deviceId: who.deviceId,
          pem: issued.pem,
          notBefore: issued.notBefore,
          notAfter: issued.notAfter,
        },
      }),
      db.device.update({ where: { id: who.deviceId }, data: { publicKeyPem } }),
    ]);
    await recordAudit(db, {
      actor,
      action: 'device.certificate.renew',
      target: { type: 'device', id: who.deviceId },
      outcome: 'success',
      detail: { previousSerial: who.serial, serial: issued.serial, notAfter: issued.notAfter.toISOString() },
      ip: ctx.ip,
    });
    return issuedBody(pki, issued);
  });
}
