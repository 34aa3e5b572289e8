import { sign } from 'node:crypto';
import forge from 'node-forge';
import type { Authority } from './certificates.ts';

/**
 * Certificate revocation lists (RFC 5280 §5), for brokers that check device certificates
 * against the fleet CA themselves (Mosquitto's `crlfile`) and so cannot ask the database.
 *
 * Built with node-forge's ASN.1 writer and signed by node:crypto rather than with
 * @peculiar/x509 2.2.0, which was tried: its CRLs are PEM-labelled `CRL` (OpenSSL, and so
 * Mosquitto, only reads `X509 CRL`), each entry carries an empty `crlEntryExtensions`
 * (forbidden: SIZE (1..MAX)), signing is async WebCrypto, and it needs a global
 * reflect-metadata polyfill. The structure below is small and fixed.
 */

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const AUTHORITY_KEY_IDENTIFIER = '2.5.29.35';
const CRL_NUMBER = '2.5.29.20';

/** A broker whose clock runs a little behind must not see the CRL as "not yet valid": it would refuse every device. */
const BACKDATE_MS = 5 * 60_000;
const DEFAULT_NEXT_UPDATE_HOURS = 7 * 24;

export interface CrlInput {
  /** The CA that issued the listed certificates (the fleet's issuing CA): it signs the CRL. */
  issuing: Authority;
  /** Serial numbers, lowercase hex as stored in DeviceCertificate.serial. Duplicates are ignored. */
  serials: string[];
  now: Date;
  /**
   * How long relying parties may use this CRL. OpenSSL refuses every certificate once a CRL is
   * past its nextUpdate ("CRL has expired"), so this must comfortably exceed how often the CRL is
   * rewritten and reloaded — it bounds how long a broker can go without a fresh one. Default 7 days.
   */
  nextUpdateHours?: number;
  /** Default: `now` in seconds, which increases between CRLs without any shared counter across replicas. */
  crlNumber?: bigint;
}

const seq = (value: forge.asn1.Asn1[]) => asn1.create(U, T.SEQUENCE, true, value);
const oid = (id: string) => asn1.create(U, T.OID, false, asn1.oidToDer(id).getBytes());
const octets = (bytes: string) => asn1.create(U, T.OCTETSTRING, false, bytes);

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
const time = (d: Date) =>
  d.getUTCFullYear() < 2050
    ? asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(d))
    : asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));

/** A non-negative DER INTEGER from hex: no redundant leading zero bytes, one 00 when the top bit is set. */
function integerFromHex(hex: string): forge.asn1.Asn1 {
  if (!/^[0-9a-f]+$/.test(hex)) throw new Error(`not a hex serial: "${hex}"`);
  let h = hex.length % 2 ? `0${hex}` : hex;
  while (h.length > 2 && h.startsWith('00') && Number.parseInt(h.slice(2, 3), 16) < 8) h = h.slice(2);
  if (Number.parseInt(h.slice(0, 1), 16) >= 8) h = `00${h}`;
  return asn1.create(U, T.INTEGER, false, forge.util.hexToBytes(h));
}

/** The issuer Name exactly as encoded in the CA certificate's subject: OpenSSL matches CRLs to CAs by it. */
function subjectName(certPem: string): forge.asn1.Asn1 {
  const der = forge.pem.decode(certPem)[0]?.body;
  if (!der) throw new Error('the issuing CA certificate is not PEM');
  const tbs = (asn1.fromDer(der).value as forge.asn1.Asn1[])[0];
  const fields = tbs?.value as forge.asn1.Asn1[];
  // [0] version, serial, signature, issuer, validity, subject (the version is absent only in v1 certificates)
  const hasVersion = fields[0]?.tagClass === asn1.Class.CONTEXT_SPECIFIC;
  const subject = fields[hasVersion ? 5 : 4];
  if (!subject) throw new Error('the issuing CA certificate has no subject');
  return subject;
}

function keyIdentifier(issuing: Authority): string {
  const ski = issuing.cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | null;
  return ski?.subjectKeyIdentifier
    ? forge.util.hexToBytes(ski.subjectKeyIdentifier)
    : issuing.cert.generateSubjectKeyIdentifier().getBytes();
}

/** A v2 X.509 CRL, PEM (`-----BEGIN X509 CRL-----`), signed sha256WithRSAEncryption by `issuing`. */
export function createCrl(input: CrlInput): string {
  const hours = input.nextUpdateHours ?? DEFAULT_NEXT_UPDATE_HOURS;
  if (!(hours > 0)) throw new Error('nextUpdateHours must be positive');
  const thisUpdate = new Date(input.now.getTime() - BACKDATE_MS);
  const nextUpdate = new Date(input.now.getTime() + hours * 3_600_000);
  const crlNumber = input.crlNumber ?? BigInt(Math.floor(input.now.getTime() / 1000));
  const algorithm = seq([oid(SHA256_WITH_RSA), asn1.create(U, T.NULL, false, '')]);

  // Sorted so that the same revocations give the same list whichever replica writes it.
  const serials = [...new Set(input.serials.map((s) => s.toLowerCase()))].sort();
  // revocationDate: the list does not carry when each certificate was revoked, only that it is.
  const entries = serials.map((s) => seq([integerFromHex(s), time(thisUpdate)]));

  const extensions = seq([
    seq([
      oid(AUTHORITY_KEY_IDENTIFIER),
      octets(
        asn1.toDer(seq([asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, keyIdentifier(input.issuing))])).getBytes(),
      ),
    ]),
    seq([oid(CRL_NUMBER), octets(asn1.toDer(integerFromHex(crlNumber.toString(16))).getBytes())]),
  ]);

  const tbs = seq([
    asn1.create(U, T.INTEGER, false, String.fromCharCode(1)), // v2
    algorithm,
    subjectName(input.issuing.certPem),
    time(thisUpdate),
    time(nextUpdate),
    // An empty revokedCertificates must be absent, not an empty SEQUENCE.
    ...(entries.length > 0 ? [seq(entries)] : []),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [extensions]),
  ]);
  const tbsDer = asn1.toDer(tbs).getBytes();
  const signature = sign('sha256', Buffer.from(tbsDer, 'binary'), input.issuing.keyPem).toString('binary');
  const crl = seq([tbs, algorithm, asn1.create(U, T.BITSTRING, false, `\u0000${signature}`)]);
  return forge.pem.encode({ type: 'X509 CRL', body: asn1.toDer(crl).getBytes() }).replaceAll('\r\n', '\n');
}
