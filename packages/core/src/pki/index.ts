import { X509Certificate } from 'node:crypto';
import type { Db } from '@edgefleet/db/client';
import { DomainError } from '../errors.ts';
import {
  type Authority,
  createDeviceCertificate,
  createGatewayCertificate,
  createIssuingCa,
  createRootCa,
  gatewayHosts,
  type IssuedCertificate,
  loadAuthority,
  subjectAltHosts,
} from './certificates.ts';
import { verifyCsr } from './csr.ts';
import { certificateFingerprint } from './fingerprint.ts';
import { openKey, sealKey } from './key-sealing.ts';

export type { IssuedCertificate } from './certificates.ts';
export { verifyCsr } from './csr.ts';
export { certificateFingerprint } from './fingerprint.ts';

export interface FleetPki {
  rootCertPem: string;
  issuingCertPem: string;
  /** issuing CA then root, PEM — what devices and brokers trust. */
  caChainPem: string;
  /** SHA-256 of the root certificate's DER, lowercase hex, 64 chars, no colons. Shown in Settings, pinned by agents. */
  fingerprint: string;
  /** Server cert for the gateway (HTTPS 8443 + MQTT 8883), SANs localhost, 127.0.0.1, publicHost; signed by the issuing CA. */
  gateway: { certPem: string; keyPem: string };
  issueDeviceCertificate(input: {
    csrPem: string;
    deviceId: string;
    validityDays: number;
    now?: Date;
  }): IssuedCertificate;
}

export interface FleetPkiOptions {
  /** EDGEFLEET_SECRET or the data dir's generated secret.key: the CA keys are encrypted with it. */
  secret: string;
  publicHost: string;
  now?: Date;
}

const GATEWAY_RENEW_BEFORE_MS = 30 * 86_400_000;
const MAX_VALIDITY_DAYS = 3650;

type Name = 'root' | 'issuing' | 'gateway';

async function readRows(db: Db) {
  const rows = await db.pkiMaterial.findMany({ where: { name: { in: ['root', 'issuing', 'gateway'] } } });
  return new Map(rows.map((r) => [r.name as Name, r]));
}

const row = (secret: string, name: Name, a: Authority) => ({
  name,
  certPem: a.certPem,
  keyEnc: sealKey(secret, name, a.keyPem),
});

function issuedBy(child: string, parent: string): boolean {
  const c = new X509Certificate(child);
  const p = new X509Certificate(parent);
  return c.checkIssued(p) && c.verify(p.publicKey);
}

function gatewayIsCurrent(gateway: Authority, issuing: Authority, publicHost: string, now: Date): boolean {
  const hosts = subjectAltHosts(gateway.cert);
  return (
    gatewayHosts(publicHost).every((h) => hosts.includes(h)) &&
    gateway.cert.validity.notAfter.getTime() - now.getTime() > GATEWAY_RENEW_BEFORE_MS &&
    issuedBy(gateway.certPem, issuing.certPem)
  );
}

/**
 * Loads the fleet PKI from the PkiMaterial table or creates it (root 10y, issuing 5y, gateway
 * 1y; the gateway certificate is re-issued when publicHost is not among its SANs or it expires
 * within 30 days). Keys are stored only sealed with `secret` (see key-sealing.ts).
 *
 * Race-safety: the CA pair is inserted in one statement with ON CONFLICT DO NOTHING and then
 * read back, so when two processes start together both end up with the winner's rows; a
 * gateway re-issue only replaces the exact certificate it found (compare-and-set).
 */
export async function loadOrCreateFleetPki(db: Db, opts: FleetPkiOptions): Promise<FleetPki> {
  const now = opts.now ?? new Date();
  let rows = await readRows(db);
  if (!rows.get('root') && !rows.get('issuing')) {
    const root = createRootCa(now);
    const issuing = createIssuingCa(root, now);
    await db.pkiMaterial.createMany({
      data: [row(opts.secret, 'root', root), row(opts.secret, 'issuing', issuing)],
      skipDuplicates: true,
    });
    rows = await readRows(db);
  }
  const rootRow = rows.get('root');
  const issuingRow = rows.get('issuing');
  if (!rootRow || !issuingRow) {
    throw new DomainError('PRECONDITION_FAILED', 'The fleet PKI is incomplete: a root or issuing CA row is missing');
  }
  const root = loadAuthority(rootRow.certPem, openKey(opts.secret, 'root', rootRow.keyEnc));
  const issuing = loadAuthority(issuingRow.certPem, openKey(opts.secret, 'issuing', issuingRow.keyEnc));
  if (!issuedBy(issuing.certPem, root.certPem)) {
    throw new DomainError('PRECONDITION_FAILED', 'The stored issuing CA was not signed by the stored root CA');
  }

  const gatewayRow = rows.get('gateway');
  let gateway = gatewayRow && loadAuthority(gatewayRow.certPem, openKey(opts.secret, 'gateway', gatewayRow.keyEnc));
  if (!gateway || !gatewayIsCurrent(gateway, issuing, opts.publicHost, now)) {
    const fresh = row(opts.secret, 'gateway', createGatewayCertificate(issuing, opts.publicHost, now));
    if (gatewayRow) {
      await db.pkiMaterial.updateMany({ where: { name: 'gateway', certPem: gatewayRow.certPem }, data: fresh });
    } else {
      await db.pkiMaterial.createMany({ data: [fresh], skipDuplicates: true });
    }
    const stored = await db.pkiMaterial.findUniqueOrThrow({ where: { name: 'gateway' } });
    gateway = loadAuthority(stored.certPem, openKey(opts.secret, 'gateway', stored.keyEnc));
  }
  return buildFleetPki(root, issuing, gateway);
}

function buildFleetPki(root: Authority, issuing: Authority, gateway: Authority): FleetPki {
  return {
    rootCertPem: root.certPem,
    issuingCertPem: issuing.certPem,
    caChainPem: issuing.certPem + root.certPem,
    fingerprint: certificateFingerprint(root.certPem),
    gateway: { certPem: gateway.certPem, keyPem: gateway.keyPem },
    issueDeviceCertificate(input) {
      const deviceId = input.deviceId.trim();
      if (!deviceId || deviceId.length > 64) throw new DomainError('INVALID', 'device id must be 1–64 characters');
      if (!Number.isInteger(input.validityDays) || input.validityDays < 1 || input.validityDays > MAX_VALIDITY_DAYS) {
        throw new DomainError('INVALID', `certificate validity must be 1–${MAX_VALIDITY_DAYS} days`);
      }
      const { publicKeyPem } = verifyCsr(input.csrPem);
      return createDeviceCertificate(issuing, {
        publicKeyPem,
        deviceId,
        validityDays: input.validityDays,
        now: input.now ?? new Date(),
      });
    },
  };
}
