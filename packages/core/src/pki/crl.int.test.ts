// The fleet CRL as OpenSSL (and so Mosquitto, which checks with it) reads it: the signature
// verifies against the issuing CA, and `verify -crl_check` refuses exactly the listed certificates.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Authority,
  createDeviceCertificate,
  createIssuingCa,
  createRootCa,
  type IssuedCertificate,
} from './certificates.ts';
import { createCrl } from './crl.ts';
import { makeTestKey } from './testing.ts';

const now = new Date();
let dir: string;
let issuing: Authority;
let chain: string;
let listed: IssuedCertificate;
let unlisted: IssuedCertificate;

/** Writes `content` to a temp file and returns its path. */
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

function openssl(...args: string[]) {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const device = (deviceId: string) =>
  createDeviceCertificate(issuing, { publicKeyPem: makeTestKey().publicKeyPem, deviceId, validityDays: 30, now });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ef-crl-'));
  const root = createRootCa(now);
  issuing = createIssuingCa(root, now);
  chain = file('chain.pem', issuing.certPem + root.certPem);
  listed = device('dev_listed');
  unlisted = device('dev_unlisted');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createCrl, checked by openssl', () => {
  it('is a v2 CRL signed by the issuing CA, with a CRL number and the authority key identifier', () => {
    const crl = file('crl.pem', createCrl({ issuing, serials: [listed.serial], now, crlNumber: 42n }));
    const verified = openssl('crl', '-in', crl, '-noout', '-CAfile', chain);
    expect(verified.out).toContain('verify OK');
    expect(verified.code).toBe(0);

    const text = openssl('crl', '-in', crl, '-noout', '-text').out;
    expect(text).toContain('Version 2 (0x1)');
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(text).toContain('Issuer: O = EdgeFleet, CN = EdgeFleet Issuing CA');
    expect(text).toMatch(/X509v3 CRL Number: *\n *42\n/);
    const ski = openssl('x509', '-noout', '-ext', 'subjectKeyIdentifier', '-in', file('issuing.pem', issuing.certPem))
      .out.split('\n')[1]
      ?.trim();
    expect(ski).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    expect(text).toMatch(new RegExp(`Authority Key Identifier: *\\n *(keyid:)?${ski}`));
    expect(text).toContain(`Serial Number: ${listed.serial.toUpperCase()}`);
  });

  it('makes `openssl verify -crl_check` refuse a listed certificate and accept an unlisted one', () => {
    const crl = file('crl.pem', createCrl({ issuing, serials: [listed.serial], now }));
    const refused = openssl('verify', '-crl_check', '-CAfile', chain, '-CRLfile', crl, file('l.pem', listed.pem));
    expect(refused.out).toContain('certificate revoked');
    expect(refused.code).not.toBe(0);
    const accepted = openssl('verify', '-crl_check', '-CAfile', chain, '-CRLfile', crl, file('u.pem', unlisted.pem));
    expect(accepted.out).toContain(': OK');
    expect(accepted.code).toBe(0);
  });

  it('accepts every certificate with an empty list (revokedCertificates absent)', () => {
    const crl = file('crl.pem', createCrl({ issuing, serials: [], now }));
    expect(openssl('crl', '-in', crl, '-noout', '-text').out).toContain('No Revoked Certificates.');
    expect(openssl('verify', '-crl_check', '-CAfile', chain, '-CRLfile', crl, file('l.pem', listed.pem)).code).toBe(0);
  });

  it('fails verification when signed by another CA', () => {
    const other = createIssuingCa(createRootCa(now), now);
    // Same issuer name, another key: only the signature tells them apart.
    const crl = file('crl.pem', createCrl({ issuing: other, serials: [listed.serial], now }));
    expect(openssl('crl', '-in', crl, '-noout', '-CAfile', chain).out).toContain('verify failure');
    const r = openssl('verify', '-crl_check', '-CAfile', chain, '-CRLfile', crl, file('u.pem', unlisted.pem));
    // The authority key identifier does not match the chain's issuing CA, so OpenSSL finds no CRL
    // for it at all, and with -crl_check that refuses the certificate.
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('unable to get certificate CRL');
  });

  it('encodes any serial as a positive integer and is valid from 5 minutes ago until nextUpdate', () => {
    const crl = file('crl.pem', createCrl({ issuing, serials: ['ff01', '00ab', 'FF01'], now, nextUpdateHours: 2 }));
    const text = openssl('crl', '-in', crl, '-noout', '-text').out;
    expect(text.match(/Serial Number: (\w+)/g)).toEqual(['Serial Number: AB', 'Serial Number: FF01']);
    const dates = openssl('crl', '-in', crl, '-noout', '-lastupdate', '-nextupdate').out;
    const last = new Date(/lastUpdate=(.*)/.exec(dates)?.[1] ?? '');
    const next = new Date(/nextUpdate=(.*)/.exec(dates)?.[1] ?? '');
    expect(Math.abs(last.getTime() - (now.getTime() - 5 * 60_000))).toBeLessThan(1000);
    expect(Math.abs(next.getTime() - (now.getTime() + 2 * 3_600_000))).toBeLessThan(1000);
  });
});
