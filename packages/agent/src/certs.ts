import { createHash, createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { AgentError } from './errors.ts';

/** A fresh RSA-2048 key pair, made on the device; the private half never leaves it. */
export function generateDeviceKey(): { keyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/**
 * PKCS#10 request signed with the device key (SHA-256). The CN is a hint; the CA sets the real one.
 * node-forge is imported here, on first use (enrolment, a renewal), not by every agent start: a
 * running agent would otherwise keep it in memory for a CSR it makes a few times a year.
 */
export async function createCsr(keyPem: string, commonName: string): Promise<string> {
  const { default: forge } = await import('node-forge');
  const key = forge.pki.privateKeyFromPem(createPrivateKey(keyPem).export({ type: 'pkcs1', format: 'pem' }).toString());
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  csr.setSubject([{ name: 'commonName', value: commonName }]);
  csr.sign(key, forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function splitPemChain(pem: string): string[] {
  return [...pem.matchAll(PEM_CERT)].map((m) => `${m[0].replace(/\r\n/g, '\n')}\n`);
}

/** SHA-256 of the certificate's DER, lowercase hex without colons (what Settings shows). */
export function certificateFingerprint(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

/** Accepts 'AB:CD:…', 'abcd…' or with spaces; returns 64 lowercase hex digits. */
export function normalizeFingerprint(input: string): string {
  const hex = input
    .replace(/^sha-?256[:=]?/i, '')
    .replace(/[\s:]/g, '')
    .toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new AgentError('--ca-fingerprint must be a SHA-256 fingerprint: 64 hex digits, colons optional', 2);
  }
  return hex;
}

export interface CertificateInfo {
  subjectCn: string | null;
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

export function certificateInfo(pem: string): CertificateInfo {
  const x = new X509Certificate(pem);
  const cn = /^CN=(.*)$/m.exec(x.subject)?.[1] ?? null;
  return {
    subjectCn: cn,
    serial: x.serialNumber.toLowerCase(),
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
  };
}

export function keyMatchesCertificate(keyPem: string, certPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/**
 * Checks a CA chain (issuing … root) hangs together: every certificate is a CA, each is signed by
 * the next, and the last is a self-signed root. Node and s2n treat every certificate given as
 * `ca` as a trust anchor, so an unchecked extra self-signed cert in a fetched chain would be
 * trusted beside the pinned root. Returns the root's fingerprint.
 */
export function verifyCaChain(pem: string): { certificates: string[]; rootFingerprint: string } {
  const certificates = splitPemChain(pem);
  if (certificates.length === 0) throw new AgentError('the CA chain contains no PEM certificate');
  let parsed: X509Certificate[];
  try {
    parsed = certificates.map((c) => new X509Certificate(c));
  } catch (e) {
    throw new AgentError(`the CA chain is not valid PEM: ${(e as Error).message}`);
  }
  parsed.forEach((cert, i) => {
    if (!cert.ca) throw new AgentError(`CA chain: "${cert.subject}" is not a CA certificate`);
    const issuer = parsed[i + 1] ?? cert;
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
      throw new AgentError(
        i === parsed.length - 1
          ? `CA chain: the last certificate ("${cert.subject}") is not a self-signed root`
          : `CA chain: "${cert.subject}" is not signed by "${issuer.subject}"`,
      );
    }
  });
  return { certificates, rootFingerprint: certificateFingerprint(certificates.at(-1)!) };
}

/** Colon form for people: AB:CD:… */
export const displayFingerprint = (hex: string) => hex.toUpperCase().match(/../g)!.join(':');
