import type { Db } from '@edgefleet/db/client';
import type { FleetPki } from '../pki/index.ts';
import type { Clock } from '../tokens.ts';

/** What enrollment, renewal and approval need: they issue certificates, so they take the PKI. */
export interface EnrollDeps {
  db: Db;
  pki: FleetPki;
  clock?: Clock;
  /** Validity of issued device certificates; renewal keeps devices going past it. */
  certValidityDays?: number;
}
export interface RequestContext {
  ip: string | null;
}

export const DEFAULT_CERT_VALIDITY_DAYS = 365;

/** The certificate part of an enroll, poll or renew answer. */
export const issuedBody = (pki: FleetPki, issued: { pem: string; notAfter: Date }) => ({
  certificate: issued.pem,
  caChain: pki.caChainPem,
  notAfter: issued.notAfter.toISOString(),
});
