import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDeviceCertificate } from '../devices/session.ts';
import { DomainError } from '../errors.ts';
import { type FleetPki, loadOrCreateFleetPki } from './index.ts';
import { fleetCrlPem, issueBrokerCertificate, revokedDeviceSerials } from './revoked-serials.ts';
import { type SeededDevice, seedTestDevice } from './testing.ts';

const secret = 'revoked-serials-test-secret-0123456789abcdef';
const DAY = 86_400_000;

describe.each(testDatabaseKinds())('revoked device serials on %s', (kind) => {
  let t: TestDatabase;
  let pki: FleetPki;
  const now = new Date();
  const seeded: Record<string, SeededDevice> = {};
  let dir: string;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    pki = await loadOrCreateFleetPki(t.db, { secret, publicHost: 'localhost' });
    dir = mkdtempSync(join(tmpdir(), 'ef-revoked-'));
    seeded.fine = await seedTestDevice(t.db, pki);
    seeded.revokedCert = await seedTestDevice(t.db, pki);
    seeded.retired = await seedTestDevice(t.db, pki, { createdAt: new Date(now.getTime() - DAY) });
    seeded.renewed = await seedTestDevice(t.db, pki, { deviceId: seeded.retired.deviceId });
    seeded.expiredRevoked = await seedTestDevice(t.db, pki, { now: new Date(now.getTime() - 40 * DAY) });
    for (const status of ['pending', 'rejected', 'revoked', 'decommissioned'] as const) {
      seeded[status] = await seedTestDevice(t.db, pki, { status });
    }
    // A device leaves 'accepted' after its certificate was issued, as revocation does.
    seeded.leftLater = await seedTestDevice(t.db, pki);
    await t.db.device.update({ where: { id: seeded.leftLater.deviceId }, data: { status: 'revoked' } });
    const mark = (d: SeededDevice | undefined, data: object) =>
      t.db.deviceCertificate.update({ where: { serial: d?.serial }, data });
    await mark(seeded.revokedCert, { revokedAt: now });
    await mark(seeded.retired, { retiredAt: now });
    await mark(seeded.expiredRevoked, { revokedAt: new Date(now.getTime() - 20 * DAY) });
  });
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists what checkDeviceCertificate refuses among certificates still in date, and nothing else', async () => {
    const serials = await revokedDeviceSerials(t.db, now);
    const name = (serial: string) => Object.entries(seeded).find(([, d]) => d.serial === serial)?.[0];
    expect(serials.map(name).sort()).toEqual(
      ['decommissioned', 'leftLater', 'pending', 'rejected', 'retired', 'revoked', 'revokedCert'].sort(),
    );
    expect([...serials].sort()).toEqual(serials);
    // The same verdict, certificate by certificate, as the embedded broker's check (expired left
    // out: TLS refuses those by date before either list or check is consulted).
    for (const [key, d] of Object.entries(seeded)) {
      if (key === 'expiredRevoked') continue;
      const check = await checkDeviceCertificate(t.db, { deviceId: d.deviceId, serial: d.serial, now });
      expect({ key, refused: !check.ok }).toEqual({ key, refused: serials.includes(d.serial) });
    }
  });

  it('drops a certificate from the list once it has expired', async () => {
    const later = new Date(now.getTime() + 31 * DAY);
    expect(await revokedDeviceSerials(t.db, later)).toEqual([]);
  });

  it('signs the fleet CRL with the issuing CA; openssl refuses a listed device and accepts a fine one', async () => {
    const crl = join(dir, 'crl.pem');
    writeFileSync(crl, await fleetCrlPem(t.db, { secret, now }));
    const chain = join(dir, 'chain.pem');
    writeFileSync(chain, pki.caChainPem);
    const verify = (d: SeededDevice | undefined) => {
      const cert = join(dir, 'cert.pem');
      writeFileSync(cert, d?.certPem ?? '');
      return spawnSync('openssl', ['verify', '-crl_check', '-CAfile', chain, '-CRLfile', crl, cert], {
        encoding: 'utf8',
      });
    };
    expect(verify(seeded.fine).status).toBe(0);
    const refused = verify(seeded.rejected);
    expect(refused.status).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain('certificate revoked');
  });

  it('refuses to open the issuing key with another secret', async () => {
    const attempt = fleetCrlPem(t.db, { secret: 'not-the-secret-not-the-secret-0123456789', now });
    await expect(attempt).rejects.toBeInstanceOf(DomainError);
    await expect(attempt).rejects.toThrowError(/Cannot decrypt the stored issuing key/);
  });

  it('issues a broker certificate for the given hosts plus localhost and 127.0.0.1, chained to the fleet CA', async () => {
    const issued = await issueBrokerCertificate(t.db, { secret, hosts: ['mqtt.example.test', '10.0.0.7'], now });
    const cert = new X509Certificate(issued.certPem);
    const issuing = new X509Certificate(pki.issuingCertPem);
    expect(cert.checkIssued(issuing) && cert.verify(issuing.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // serverAuth
    expect(cert.checkHost('mqtt.example.test')).toBe('mqtt.example.test');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('10.0.0.7')).toBe('10.0.0.7');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('other.example.test')).toBeUndefined();
    expect(cert.subject).toBe('O=EdgeFleet\nCN=mqtt.example.test');
    expect(issued.keyPem).toContain('PRIVATE KEY');
  });

  it('says what to do when the fleet has no CA yet', async () => {
    const empty = await createTestDatabase(kind);
    try {
      await expect(fleetCrlPem(empty.db, { secret, now })).rejects.toThrowError(/no issuing CA yet/);
    } finally {
      await empty.close();
    }
  });
});
