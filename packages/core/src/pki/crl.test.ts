import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Authority, createIssuingCa, createRootCa } from './certificates.ts';
import { createCrl } from './crl.ts';

const now = new Date('2031-03-04T05:06:07Z');
let issuing: Authority;

beforeAll(() => {
  issuing = createIssuingCa(createRootCa(now), now);
});

/** The TBSCertList's fields, parsed back with forge. */
function tbsFields(pem: string): forge.asn1.Asn1[] {
  const der = forge.pem.decode(pem)[0]?.body ?? '';
  const crl = forge.asn1.fromDer(der);
  return ((crl.value as forge.asn1.Asn1[])[0]?.value ?? []) as forge.asn1.Asn1[];
}

describe('createCrl', () => {
  it('writes the PEM label OpenSSL reads, with LF line endings', () => {
    const pem = createCrl({ issuing, serials: [], now });
    expect(pem.startsWith('-----BEGIN X509 CRL-----\n')).toBe(true);
    expect(pem.trimEnd().endsWith('-----END X509 CRL-----')).toBe(true);
    expect(pem).not.toContain('\r');
  });

  it('lists each serial once, sorted, so every replica writes the same list', () => {
    const a = createCrl({ issuing, serials: ['7f02', '7F01', '7f02'], now, crlNumber: 1n });
    const b = createCrl({ issuing, serials: ['7f01', '7f02'], now, crlNumber: 1n });
    expect(a).toBe(b); // RSA PKCS#1 v1.5 signatures are deterministic
    const entries = tbsFields(a)[5]?.value as forge.asn1.Asn1[];
    expect(entries.map((e) => forge.util.bytesToHex((e.value as forge.asn1.Asn1[])[0]?.value as string))).toEqual([
      '7f01',
      '7f02',
    ]);
  });

  it('leaves revokedCertificates out when nothing is revoked (an empty SEQUENCE is invalid)', () => {
    const fields = tbsFields(createCrl({ issuing, serials: [], now }));
    // version, signature, issuer, thisUpdate, nextUpdate, [0] extensions
    expect(fields).toHaveLength(6);
    expect(fields[5]?.tagClass).toBe(forge.asn1.Class.CONTEXT_SPECIFIC);
  });

  it('switches to GeneralizedTime for dates from 2050, as RFC 5280 requires', () => {
    const fields = tbsFields(createCrl({ issuing, serials: [], now: new Date('2049-12-31T00:00:00Z') }));
    expect(fields[3]?.type).toBe(forge.asn1.Type.UTCTIME);
    expect(fields[4]?.type).toBe(forge.asn1.Type.GENERALIZEDTIME); // 7 days later: 2050
  });

  it('refuses a serial that is not hex, and a nextUpdate that is not in the future', () => {
    expect(() => createCrl({ issuing, serials: ['12:34'], now })).toThrowError('not a hex serial');
    expect(() => createCrl({ issuing, serials: [], now, nextUpdateHours: 0 })).toThrowError(
      'nextUpdateHours must be positive',
    );
  });
});
