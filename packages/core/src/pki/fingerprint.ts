import { createHash, X509Certificate } from 'node:crypto';
import { DomainError } from '../errors.ts';

/** SHA-256 of a certificate's DER, lowercase hex without colons: what operators pin on devices. Pure. */
export function certificateFingerprint(pem: string): string {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    throw new DomainError('INVALID', 'not a PEM certificate');
  }
  return createHash('sha256').update(cert.raw).digest('hex');
}
