import { X509Certificate } from 'node:crypto';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../errors.ts';
import { certificateFingerprint, type FleetPki, loadOrCreateFleetPki } from './index.ts';
import { makeTestCsr, makeTestKey } from './testing.ts';

const secret = 'a-test-secret-that-is-long-enough-0123456789';

describe.each(testDatabaseKinds())('fleet PKI on %s', (kind) => {
  let t: TestDatabase;
  let pki: FleetPki;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    const started = performance.now();
    pki = await loadOrCreateFleetPki(t.db, { secret, publicHost: 'fleet.example.test' });
    console.log(`[pki] created on ${kind} in ${Math.round(performance.now() - started)} ms`);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('builds a verifiable chain: root (self-signed CA) → issuing (CA, pathLen 0) → gateway (server)', () => {
    const root = new X509Certificate(pki.rootCertPem);
    const issuing = new X509Certificate(pki.issuingCertPem);
    const gateway = new X509Certificate(pki.gateway.certPem);
    expect(root.ca && issuing.ca).toBe(true);
    expect(root.checkIssued(root) && root.verify(root.publicKey)).toBe(true);
    expect(issuing.checkIssued(root) && issuing.verify(root.publicKey)).toBe(true);
    expect(gateway.checkIssued(issuing) && gateway.verify(issuing.publicKey)).toBe(true);
    expect(gateway.ca).toBe(false);
    expect(gateway.checkHost('localhost')).toBe('localhost');
    expect(gateway.checkHost('fleet.example.test')).toBe('fleet.example.test');
    expect(gateway.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(gateway.keyUsage).toContain('1.3.6.1.5.5.7.3.1'); // serverAuth
    expect(pki.caChainPem).toBe(pki.issuingCertPem + pki.rootCertPem);
    expect(root.publicKey.asymmetricKeyDetails?.modulusLength).toBeGreaterThanOrEqual(3072);
  });

  it('issues device certificates: CN = device id, clientAuth, random serial, requested validity', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const a = pki.issueDeviceCertificate({ csrPem: makeTestCsr(), deviceId: 'dev_a', validityDays: 30, now });
    const b = pki.issueDeviceCertificate({ csrPem: makeTestCsr(), deviceId: 'dev_a', validityDays: 30, now });
    const cert = new X509Certificate(a.pem);
    expect(cert.subject).toBe('CN=dev_a');
    expect(cert.checkIssued(new X509Certificate(pki.issuingCertPem))).toBe(true);
    expect(cert.verify(new X509Certificate(pki.issuingCertPem).publicKey)).toBe(true);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // clientAuth only
    expect(a.serial).toMatch(/^[0-9a-f]{32}$/);
    expect(a.serial).toBe(cert.serialNumber.toLowerCase());
    expect(a.serial).not.toBe(b.serial);
    expect(a.notAfter.toISOString()).toBe('2030-01-31T00:00:00.000Z');
    expect(new Date(cert.validTo).getTime()).toBe(a.notAfter.getTime());
    expect(a.notBefore.getTime()).toBeLessThan(now.getTime());
  });

  it('refuses bad requests with the CSR checks', () => {
    const weak = makeTestCsr(makeTestKey(1024));
    expect(() => pki.issueDeviceCertificate({ csrPem: weak, deviceId: 'dev_b', validityDays: 30 })).toThrowError(
      'RSA key must be at least 2048 bits',
    );
    const forged = makeTestCsr(makeTestKey(), makeTestKey());
    expect(() => pki.issueDeviceCertificate({ csrPem: forged, deviceId: 'dev_b', validityDays: 30 })).toThrowError(
      'CSR signature does not match its public key',
    );
    expect(() =>
      pki.issueDeviceCertificate({ csrPem: makeTestCsr(), deviceId: 'dev_b', validityDays: 0 }),
    ).toThrowError(DomainError);
  });

  it('stores keys only encrypted, and reloads the same PKI with the same fingerprint', async () => {
    const rows = await t.db.pkiMaterial.findMany();
    expect(rows.map((r) => r.name).sort()).toEqual(['gateway', 'issuing', 'root']);
    for (const r of rows) {
      expect(r.keyEnc).not.toContain('PRIVATE KEY');
      expect(r.certPem).not.toContain('PRIVATE KEY');
    }
    const again = await loadOrCreateFleetPki(t.db, { secret, publicHost: 'fleet.example.test' });
    expect(again.fingerprint).toBe(pki.fingerprint);
    expect(again.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(again.fingerprint).toBe(certificateFingerprint(pki.rootCertPem));
    expect(again.gateway).toEqual(pki.gateway);
  });

  it('fails to load with a wrong secret, saying why', async () => {
    const attempt = loadOrCreateFleetPki(t.db, { secret: 'another-secret-another-secret-0123456789', publicHost: 'x' });
    await expect(attempt).rejects.toThrowError(/Cannot decrypt the stored root key: EDGEFLEET_SECRET/);
    await expect(attempt).rejects.toBeInstanceOf(DomainError);
  });

  it('re-issues the gateway certificate when the public host changes or it nears expiry, keeping the CAs', async () => {
    const moved = await loadOrCreateFleetPki(t.db, { secret, publicHost: '203.0.113.7' });
    expect(moved.fingerprint).toBe(pki.fingerprint);
    expect(moved.issuingCertPem).toBe(pki.issuingCertPem);
    expect(moved.gateway.certPem).not.toBe(pki.gateway.certPem);
    expect(new X509Certificate(moved.gateway.certPem).checkIP('203.0.113.7')).toBe('203.0.113.7');
    expect((await loadOrCreateFleetPki(t.db, { secret, publicHost: '203.0.113.7' })).gateway).toEqual(moved.gateway);

    const late = await loadOrCreateFleetPki(t.db, {
      secret,
      publicHost: '203.0.113.7',
      now: new Date(Date.now() + 340 * 86_400_000),
    });
    expect(late.gateway.certPem).not.toBe(moved.gateway.certPem);
  });

  it('agrees on one PKI when two processes create it at the same time', async () => {
    const fresh = await createTestDatabase(kind);
    try {
      const [a, b] = await Promise.all([
        loadOrCreateFleetPki(fresh.db, { secret, publicHost: 'localhost' }),
        loadOrCreateFleetPki(fresh.db, { secret, publicHost: 'localhost' }),
      ]);
      expect(a.fingerprint).toBe(b.fingerprint);
      expect(a.gateway.certPem).toBe(b.gateway.certPem);
      expect(await fresh.db.pkiMaterial.count()).toBe(3);
    } finally {
      await fresh.close();
    }
  });
});
