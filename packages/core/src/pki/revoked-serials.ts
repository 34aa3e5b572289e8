import type { Db } from '@edgefleet/db/client';
import { DomainError } from '../errors.ts';
import { type Authority, createServerCertificate, loadAuthority } from './certificates.ts';
import { createCrl } from './crl.ts';
import { openKey } from './key-sealing.ts';

/**
 * Serials, lowercase hex, of the device certificates an external broker must refuse: what
 * checkDeviceCertificate (devices/session.ts) refuses for the embedded broker, expressed as a
 * deny-list — the certificate is revoked, or retired by a renewal, or its device is no longer
 * `accepted` (pending, rejected, revoked, decommissioned). Expired certificates are left out: TLS
 * refuses them by date already, and keeping them would only grow the list.
 *
 * What a CRL cannot say: certificates the CA issued but the database never recorded, and the
 * renewal hand-over (checkDeviceCertificate retires the older serial on first use of a new one;
 * a broker reading a file never tells the database a certificate was used).
 */
export async function revokedDeviceSerials(db: Db, now: Date): Promise<string[]> {
  const rows = await db.deviceCertificate.findMany({
    where: {
      notAfter: { gt: now },
      OR: [{ revokedAt: { not: null } }, { retiredAt: { not: null } }, { device: { status: { not: 'accepted' } } }],
    },
    select: { serial: true },
    orderBy: { serial: 'asc' },
  });
  return rows.map((r) => r.serial.toLowerCase());
}

/** The issuing CA, unsealed: it signs device certificates, the broker's certificate and the CRL. */
async function loadIssuingAuthority(db: Db, secret: string): Promise<Authority> {
  const row = await db.pkiMaterial.findUnique({ where: { name: 'issuing' } });
  if (!row) {
    throw new DomainError(
      'PRECONDITION_FAILED',
      'The fleet PKI has no issuing CA yet: start a gateway once to create it',
    );
  }
  return loadAuthority(row.certPem, openKey(secret, 'issuing', row.keyEnc));
}

/** The fleet CRL (PEM) as of `now`, signed by the issuing CA: what the broker's `crlfile` should hold. */
export async function fleetCrlPem(
  db: Db,
  opts: { secret: string; now?: Date; nextUpdateHours?: number },
): Promise<string> {
  const now = opts.now ?? new Date();
  const [issuing, serials] = await Promise.all([loadIssuingAuthority(db, opts.secret), revokedDeviceSerials(db, now)]);
  return createCrl({ issuing, serials, now, nextUpdateHours: opts.nextUpdateHours });
}

/**
 * A TLS server certificate for an external broker's device listener, issued by the fleet's
 * issuing CA (so agents, which trust the fleet chain, accept it) for `hosts` plus localhost and
 * 127.0.0.1. `certPem` is the leaf alone; serve it followed by the issuing CA certificate.
 * Not stored: each call issues a new key, which only the broker keeps.
 */
export async function issueBrokerCertificate(
  db: Db,
  opts: { secret: string; hosts: string[]; now?: Date },
): Promise<{ certPem: string; keyPem: string }> {
  const issuing = await loadIssuingAuthority(db, opts.secret);
  const hosts = [...new Set([...opts.hosts, 'localhost', '127.0.0.1'])];
  const cert = createServerCertificate(issuing, {
    commonName: opts.hosts[0] ?? 'localhost',
    hosts,
    now: opts.now ?? new Date(),
  });
  return { certPem: cert.certPem, keyPem: cert.keyPem };
}
