import { createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes, sign as signNative } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

/** A certificate with its key, both PEM; the forge objects are kept to sign with. */
export interface Authority {
  certPem: string;
  keyPem: string;
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

export interface IssuedCertificate {
  pem: string;
  /** lowercase hex, as Node reports it (lowercased) for a peer certificate */
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

const DAY_MS = 86_400_000;
/** Devices and CI runners with a slightly slow clock must still accept a certificate just issued. */
const BACKDATE_MS = 5 * 60_000;

export const ROOT_KEY_BITS = 3072;
export const LEAF_KEY_BITS = 2048;

/** Key generation through node:crypto (native): forge's pure-JS RSA takes many seconds per key. */
export function generateRsaKey(bits: number): string {
  return generateKeyPairSync('rsa', { modulusLength: bits })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

/**
 * 16 random bytes, first byte in 0x01–0x7f: a positive DER integer with no leading zero, so
 * the hex forge writes equals what TLS stacks report for the peer certificate.
 */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString('hex');
}

export function loadAuthority(certPem: string, keyPem: string): Authority {
  return {
    certPem,
    keyPem,
    cert: forge.pki.certificateFromPem(certPem),
    key: forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey,
  };
}

interface SignInput {
  subject: forge.pki.CertificateField[];
  publicKey: forge.pki.PublicKey;
  issuer: Authority | null; // null: self-signed
  selfKeyPem?: string;
  days: number;
  now: Date;
  extensions: object[];
}

// Signing keys parsed once: a handful of authorities sign every certificate a gateway issues.
const nativeKeys = new Map<string, KeyObject>();
function nativeKey(pem: string): KeyObject {
  let key = nativeKeys.get(pem);
  if (!key) {
    if (nativeKeys.size >= 64) nativeKeys.clear();
    key = createPrivateKey(pem);
    nativeKeys.set(pem, key);
  }
  return key;
}

/**
 * forge builds the certificate; node:crypto signs it. forge's own `cert.sign` does the RSA
 * private-key operation in JavaScript (~25 ms a certificate, which 10,000 devices enrolling at
 * once turn into minutes of a gateway's CPU); this is what it does, with a native signature.
 */
function signCertificate(cert: forge.pki.Certificate, keyPem: string): void {
  const oid = forge.pki.oids.sha256WithRSAEncryption as string;
  const c = cert as forge.pki.Certificate & { tbsCertificate: forge.asn1.Asn1; md: forge.md.MessageDigest };
  c.md = forge.md.sha256.create();
  c.signatureOid = oid;
  c.siginfo.algorithmOid = oid;
  // getTBSCertificate is public in node-forge (pki.getTBSCertificate) but missing from its types.
  c.tbsCertificate = (
    forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }
  ).getTBSCertificate(cert);
  const tbs = Buffer.from(forge.asn1.toDer(c.tbsCertificate).getBytes(), 'binary');
  c.signature = signNative('sha256', tbs, nativeKey(keyPem)).toString('binary');
}

function sign(input: SignInput): IssuedCertificate & { cert: forge.pki.Certificate } {
  const cert = forge.pki.createCertificate();
  cert.publicKey = input.publicKey;
  cert.serialNumber = randomSerial();
  cert.validity.notBefore = new Date(input.now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(input.now.getTime() + input.days * DAY_MS);
  cert.setSubject(input.subject);
  cert.setIssuer(input.issuer ? input.issuer.cert.subject.attributes : input.subject);
  const authorityKeyId = input.issuer
    ? input.issuer.cert.generateSubjectKeyIdentifier().getBytes()
    : cert.generateSubjectKeyIdentifier().getBytes();
  cert.setExtensions([
    ...input.extensions,
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyId },
  ]);
  const signingKey = input.issuer?.keyPem ?? input.selfKeyPem;
  if (!signingKey) throw new Error('no signing key');
  signCertificate(cert, signingKey);
  return {
    cert,
    pem: forge.pki.certificateToPem(cert),
    serial: cert.serialNumber.toLowerCase(),
    // Read back: the encoding drops milliseconds, and callers record what the certificate says.
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
  };
}

function newAuthority(
  commonName: string,
  bits: number,
  issuer: Authority | null,
  days: number,
  now: Date,
  caExtension: object,
): Authority {
  const keyPem = generateRsaKey(bits);
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const issued = sign({
    subject: [
      { name: 'organizationName', value: 'EdgeFleet' },
      { name: 'commonName', value: commonName },
    ],
    publicKey: forge.pki.setRsaPublicKey(key.n, key.e),
    issuer,
    selfKeyPem: keyPem,
    days,
    now,
    extensions: [caExtension, { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true }],
  });
  return { certPem: issued.pem, keyPem, cert: issued.cert, key };
}

export const createRootCa = (now: Date) =>
  newAuthority('EdgeFleet Root CA', ROOT_KEY_BITS, null, 3650, now, {
    name: 'basicConstraints',
    critical: true,
    cA: true,
  });

/** pathLen 0: the issuing CA signs only end-entity certificates, never another CA. */
export const createIssuingCa = (root: Authority, now: Date) =>
  newAuthority('EdgeFleet Issuing CA', LEAF_KEY_BITS, root, 1825, now, {
    name: 'basicConstraints',
    critical: true,
    cA: true,
    pathLenConstraint: 0,
  });

export const gatewayHosts = (publicHost: string) => [...new Set(['localhost', '127.0.0.1', publicHost])];

/**
 * A TLS server certificate (serverAuth, 1 year) for `hosts`: DNS names and IP addresses, each
 * written as a SAN of its kind. The CN is `commonName` (clients match SANs; the CN is for people).
 */
export function createServerCertificate(
  issuing: Authority,
  input: { commonName: string; hosts: string[]; now: Date },
): Authority {
  const hosts = [...new Set(input.hosts)];
  if (hosts.length === 0) throw new Error('a server certificate needs at least one host');
  const keyPem = generateRsaKey(LEAF_KEY_BITS);
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const issued = sign({
    subject: [
      { name: 'organizationName', value: 'EdgeFleet' },
      { name: 'commonName', value: input.commonName },
    ],
    publicKey: forge.pki.setRsaPublicKey(key.n, key.e),
    issuer: issuing,
    days: 365,
    now: input.now,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })),
      },
    ],
  });
  return { certPem: issued.pem, keyPem, cert: issued.cert, key };
}

export const createGatewayCertificate = (issuing: Authority, publicHost: string, now: Date): Authority =>
  createServerCertificate(issuing, { commonName: publicHost, hosts: gatewayHosts(publicHost), now });

/** The SAN hosts (DNS names and IPs) of a certificate. */
export function subjectAltHosts(cert: forge.pki.Certificate): string[] {
  const ext = cert.getExtension('subjectAltName') as {
    altNames?: { type: number; value?: string; ip?: string }[];
  } | null;
  return (ext?.altNames ?? []).flatMap((n) => (n.type === 7 ? [n.ip ?? ''] : n.type === 2 ? [n.value ?? ''] : []));
}

export function createDeviceCertificate(
  issuing: Authority,
  input: { publicKeyPem: string; deviceId: string; validityDays: number; now: Date },
): IssuedCertificate {
  const { cert: _cert, ...issued } = sign({
    subject: [{ name: 'commonName', value: input.deviceId }],
    publicKey: forge.pki.publicKeyFromPem(input.publicKeyPem),
    issuer: issuing,
    days: input.validityDays,
    now: input.now,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  return issued;
}
