import { createPublicKey } from 'node:crypto';
import forge from 'node-forge';
import { DomainError } from '../errors.ts';

export const MIN_RSA_BITS = 2048;

const invalid = (message: string) => new DomainError('INVALID', message);

/**
 * Parses a PEM PKCS#10 request made on a device and checks it proves possession of a strong
 * key: the self-signature must verify and the key must be RSA of at least 2048 bits. Only the
 * public key is taken from it; the subject is ignored (the CN is always the device id).
 */
export function verifyCsr(csrPem: string): { publicKeyPem: string } {
  let der: string;
  try {
    const block = forge.pem.decode(csrPem).find((b) => /CERTIFICATE REQUEST$/.test(b.type));
    if (!block) throw new Error('no request block');
    der = block.body;
  } catch {
    throw invalid('not a PEM certificate request');
  }

  // Key type and size are read with node:crypto first: forge only parses RSA requests, and its
  // error for anything else would not say why.
  let info: forge.asn1.Asn1;
  let spki: forge.asn1.Asn1 | undefined;
  try {
    info = forge.asn1.fromDer(der);
    const requestInfo = (info.value as forge.asn1.Asn1[])[0];
    spki = (requestInfo?.value as forge.asn1.Asn1[] | undefined)?.[2];
    if (!spki) throw new Error('no subjectPublicKeyInfo');
  } catch {
    throw invalid('not a PEM certificate request');
  }
  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey({
      key: Buffer.from(forge.asn1.toDer(spki).getBytes(), 'binary'),
      format: 'der',
      type: 'spki',
    });
  } catch {
    throw invalid('not a PEM certificate request');
  }
  if (key.asymmetricKeyType !== 'rsa') throw invalid('only RSA keys are supported');
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
    throw invalid(`RSA key must be at least ${MIN_RSA_BITS} bits`);
  }

  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = forge.pki.certificationRequestFromAsn1(info);
  } catch {
    throw invalid('not a PEM certificate request');
  }
  let verified = false;
  try {
    verified = csr.verify();
  } catch {
    verified = false;
  }
  if (!verified) throw invalid('CSR signature does not match its public key');
  return { publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString() };
}
