import { X509Certificate } from 'node:crypto';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDeviceCertificate } from '../devices/session.ts';
import type { DomainErrorCode } from '../errors.ts';
import { type FleetPki, loadOrCreateFleetPki } from '../pki/index.ts';
import { approveDevice, decommissionDevice, getDevice, rejectDevice, revokeDevice } from './devices.ts';
import { type EnrollDeps, enrollDevice, pollEnrollment, renewDeviceCertificate } from './enroll.ts';
import {
  createEnrollmentToken,
  type EnrollmentTokenInput,
  listEnrollmentTokens,
  revokeEnrollmentToken,
} from './enrollment-tokens.ts';
import { preauthorizeDevices } from './preauthorize.ts';
import { enrollRequest, makeTestCsr, makeTestKey, tamperCsrSignature, testOperator } from './testing.ts';

const ip = { ip: '198.51.100.9' };

describe.each(testDatabaseKinds())('enrollment on %s', (kind) => {
  let t: TestDatabase;
  let pki: FleetPki;
  let deps: EnrollDeps;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    pki = await loadOrCreateFleetPki(t.db, { secret: 's'.repeat(40), publicHost: 'localhost' });
    deps = { db: t.db, pki };
  });
  afterAll(async () => {
    await t?.close();
  });

  const token = async (input: Partial<EnrollmentTokenInput> = {}) => {
    const created = await createEnrollmentToken(t.db, testOperator, { group: 'lab', tags: { site: 'a' }, ...input });
    return { ...created, id: created.view.id };
  };
  const snapshot = async (tokenId?: string) => ({
    devices: await t.db.device.count(),
    certificates: await t.db.deviceCertificate.count(),
    uses: tokenId ? (await t.db.enrollmentToken.findUniqueOrThrow({ where: { id: tokenId } })).uses : null,
    failures: await t.db.auditEvent.count({ where: { outcome: 'failure' } }),
  });

  /** The call is refused with `code`, leaves one failure audit row, and changes nothing else. */
  async function expectRefusal(run: () => Promise<unknown>, code: DomainErrorCode, message: RegExp, tokenId?: string) {
    const before = await snapshot(tokenId);
    await expect(run()).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    const after = await snapshot(tokenId);
    expect(after).toEqual({ ...before, failures: before.failures + 1 });
    const [row] = await t.db.auditEvent.findMany({ orderBy: { id: 'desc' }, take: 1 });
    expect(row).toMatchObject({ outcome: 'failure', ip: row?.actorType === 'user' ? null : ip.ip });
    expect(row?.action).toMatch(/^device\./);
  }

  const verifyAgainstChain = (certPem: string, deviceId: string) => {
    const leaf = new X509Certificate(certPem);
    const issuing = new X509Certificate(pki.issuingCertPem);
    expect(leaf.checkIssued(issuing)).toBe(true);
    expect(leaf.verify(issuing.publicKey)).toBe(true);
    expect(leaf.subject).toBe(`CN=${deviceId}`);
    expect(pki.caChainPem).toContain(pki.issuingCertPem.trim());
  };

  it('auto-approve: accepted at once with a certificate for CN = device id, stored hashed token, one use', async () => {
    const { token: secret, id, view } = await token({ autoApprove: true, tags: { site: 'a', tier: 'edge' } });
    expect(secret).toMatch(/^efe_[\w-]{43}$/);
    expect(view).toMatchObject({ prefix: secret.slice(0, 10), uses: 0, status: 'active' });
    const stored = await t.db.enrollmentToken.findUniqueOrThrow({ where: { id } });
    expect(stored.tokenHash).not.toContain(secret);

    const res = await enrollDevice(deps, enrollRequest(secret), ip);
    if (res.status !== 'accepted') throw new Error(`expected accepted, got ${res.status}`);
    expect(res.deviceId).toMatch(/^dev_[0-9a-f]{20}$/);
    verifyAgainstChain(res.certificate, res.deviceId);
    expect(res.caChain).toBe(pki.caChainPem);

    const device = await getDevice(t.db, res.deviceId);
    expect(device).toMatchObject({ status: 'accepted', group: 'lab', tags: { site: 'a', tier: 'edge' } });
    expect(device.certificates).toHaveLength(1);
    expect((await t.db.enrollmentToken.findUniqueOrThrow({ where: { id } })).uses).toBe(1);
    expect(
      await checkDeviceCertificate(t.db, { deviceId: res.deviceId, serial: device.certificates[0]?.serial ?? '' }),
    ).toEqual({ ok: true });
    const audit = await t.db.auditEvent.findFirst({ where: { action: 'device.enroll', targetId: res.deviceId } });
    expect(audit).toMatchObject({ outcome: 'success', actorType: 'device', ip: ip.ip });
  });

  it('pending → approve: no certificate until approved, then the poll delivers it once', async () => {
    const { token: secret } = await token();
    const res = await enrollDevice(deps, enrollRequest(secret), ip);
    if (res.status !== 'pending' || !res.pollSecret) throw new Error('expected pending with a poll secret');
    expect(await t.db.deviceCertificate.count({ where: { deviceId: res.deviceId } })).toBe(0);
    const poll = { v: 1 as const, deviceId: res.deviceId, pollSecret: res.pollSecret };
    expect(await pollEnrollment(deps, poll, ip)).toMatchObject({ status: 'pending' });

    const approved = await approveDevice(deps, testOperator, res.deviceId);
    expect(approved.status).toBe('accepted');
    const got = await pollEnrollment(deps, poll, ip);
    if (got.status !== 'accepted') throw new Error('expected the certificate');
    verifyAgainstChain(got.certificate, res.deviceId);

    // The secret stops working once the certificate has been handed over.
    await expectRefusal(() => pollEnrollment(deps, poll, ip), 'UNAUTHORIZED', /unknown device or poll secret/);
    await expectRefusal(() => approveDevice(deps, testOperator, res.deviceId), 'CONFLICT', /is accepted/);
    const audit = await t.db.auditEvent.findFirst({ where: { action: 'device.approve', targetId: res.deviceId } });
    expect(audit).toMatchObject({ outcome: 'success', actorType: 'user' });
  });

  it('pending → reject: the poll answers rejected; a wrong poll secret is refused', async () => {
    const { token: secret } = await token();
    const res = await enrollDevice(deps, enrollRequest(secret), ip);
    if (res.status !== 'pending' || !res.pollSecret) throw new Error('expected pending');
    await expectRefusal(
      () => pollEnrollment(deps, { v: 1, deviceId: res.deviceId, pollSecret: 'efp_wrong' }, ip),
      'UNAUTHORIZED',
      /unknown device or poll secret/,
    );
    await rejectDevice(t.db, testOperator, res.deviceId);
    const polled = await pollEnrollment(deps, { v: 1, deviceId: res.deviceId, pollSecret: res.pollSecret }, ip);
    expect(polled).toMatchObject({ status: 'rejected', reason: 'rejected by an operator' });
    expect((await getDevice(t.db, res.deviceId)).certificates).toHaveLength(0);
  });

  it('refuses an unknown token', async () => {
    await expectRefusal(() => enrollDevice(deps, enrollRequest('efe_nope'), ip), 'UNAUTHORIZED', /unknown/);
  });

  it('refuses an expired token', async () => {
    const { token: secret, id } = await token({ expiresInHours: 1, autoApprove: true });
    const later = { ...deps, clock: { now: () => new Date(Date.now() + 2 * 3_600_000) } };
    await expectRefusal(() => enrollDevice(later, enrollRequest(secret), ip), 'UNAUTHORIZED', /expired/, id);
    expect((await listEnrollmentTokens(t.db, later.clock)).find((v) => v.id === id)?.status).toBe('expired');
  });

  it('refuses a revoked token', async () => {
    const { token: secret, id } = await token({ autoApprove: true });
    await revokeEnrollmentToken(t.db, id);
    await expectRefusal(() => enrollDevice(deps, enrollRequest(secret), ip), 'UNAUTHORIZED', /revoked/, id);
  });

  it('refuses a used-up token', async () => {
    const { token: secret, id } = await token({ maxUses: 1, autoApprove: true });
    await enrollDevice(deps, enrollRequest(secret), ip);
    await expectRefusal(() => enrollDevice(deps, enrollRequest(secret), ip), 'UNAUTHORIZED', /used up/, id);
  });

  it('refuses a CSR whose signature does not match its key', async () => {
    const { token: secret, id } = await token({ autoApprove: true });
    const csr = tamperCsrSignature(makeTestCsr());
    await expectRefusal(() => enrollDevice(deps, enrollRequest(secret, { csr }), ip), 'INVALID', /signature/, id);
    // Signed by a different key than the one it carries: also a mismatch.
    const forged = makeTestCsr(makeTestKey(), makeTestKey());
    await expectRefusal(
      () => enrollDevice(deps, enrollRequest(secret, { csr: forged }), ip),
      'INVALID',
      /signature/,
      id,
    );
  });

  it('refuses a weak (1024-bit RSA) key', async () => {
    const { token: secret, id } = await token({ autoApprove: true });
    const csr = makeTestCsr(makeTestKey(1024));
    await expectRefusal(() => enrollDevice(deps, enrollRequest(secret, { csr }), ip), 'INVALID', /2048 bits/, id);
  });

  it('refuses a replayed request: 409, one device, one use', async () => {
    const { token: secret, id } = await token({ autoApprove: true });
    const request = enrollRequest(secret);
    const first = await enrollDevice(deps, request, ip);
    await expectRefusal(() => enrollDevice(deps, request, ip), 'CONFLICT', /already enrolled/, id);
    expect(await t.db.device.count({ where: { enrollmentTokenId: id } })).toBe(1);
    expect((await t.db.enrollmentToken.findUniqueOrThrow({ where: { id } })).uses).toBe(1);
    expect((await getDevice(t.db, first.deviceId)).status).toBe('accepted');
  });

  // Both engines: the embedded server keeps round trips and transactions of separate
  // connections apart (packages/db/src/round-trip-queue.ts).
  const concurrent = it;

  concurrent('never exceeds maxUses under concurrent enrollments', async () => {
    const { token: secret, id } = await token({ maxUses: 2, autoApprove: true });
    const requests = Array.from({ length: 6 }, () => enrollRequest(secret));
    const results = await Promise.allSettled(requests.map((r) => enrollDevice(deps, r, ip)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await t.db.device.count({ where: { enrollmentTokenId: id } })).toBe(2);
    expect((await t.db.enrollmentToken.findUniqueOrThrow({ where: { id } })).uses).toBe(2);
  });

  concurrent('concurrent replays of one request create one device', async () => {
    const { token: secret, id } = await token({ autoApprove: true });
    const request = enrollRequest(secret);
    const results = await Promise.allSettled([1, 2, 3].map(() => enrollDevice(deps, request, ip)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await t.db.device.count({ where: { enrollmentTokenId: id } })).toBe(1);
    expect((await t.db.enrollmentToken.findUniqueOrThrow({ where: { id } })).uses).toBe(1);
  });

  it('pre-authorized hardware is accepted at once with its own group and tags', async () => {
    await preauthorizeDevices(t.db, testOperator, [
      { serialNumber: 'SN-PRE-1', group: 'factory', tags: { line: '3' } },
      { hardwareId: 'HW-PRE-2' },
    ]);
    const { token: secret, id } = await token({ preauthorizedOnly: true });
    const res = await enrollDevice(deps, enrollRequest(secret, { facts: { serialNumber: 'SN-PRE-1' } }), ip);
    expect(res.status).toBe('accepted');
    expect(await getDevice(t.db, res.deviceId)).toMatchObject({ group: 'factory', tags: { site: 'a', line: '3' } });
    const byHw = await enrollDevice(deps, enrollRequest(secret, { facts: { hardwareId: 'HW-PRE-2' } }), ip);
    expect(await getDevice(t.db, byHw.deviceId)).toMatchObject({ status: 'accepted', group: 'lab' });

    // A preauthorizedOnly token refuses unknown hardware, and a used pre-authorization no longer matches.
    for (const facts of [{ serialNumber: 'SN-UNKNOWN' }, {}, { serialNumber: 'SN-PRE-1' }]) {
      await expectRefusal(
        () => enrollDevice(deps, enrollRequest(secret, { facts }), ip),
        'FORBIDDEN',
        /pre-authorized/,
        id,
      );
    }
  });

  it('renewal issues a new certificate for the same id; the old one works until the new one is used', async () => {
    const { token: secret } = await token({ autoApprove: true });
    const res = await enrollDevice(deps, enrollRequest(secret), ip);
    const [old] = (await getDevice(t.db, res.deviceId)).certificates;
    if (!old) throw new Error('no certificate');
    const who = { deviceId: res.deviceId, serial: old.serial };
    expect((await checkDeviceCertificate(t.db, who)).ok).toBe(true);

    const renewed = await renewDeviceCertificate(deps, who, makeTestCsr(), ip);
    verifyAgainstChain(renewed.certificate, res.deviceId);
    const serial = new X509Certificate(renewed.certificate).serialNumber.toLowerCase();
    expect(serial).not.toBe(old.serial);
    expect((await checkDeviceCertificate(t.db, who)).ok).toBe(true);
    expect((await checkDeviceCertificate(t.db, { deviceId: res.deviceId, serial })).ok).toBe(true);
    expect((await checkDeviceCertificate(t.db, who)).ok).toBe(false);
    // A retired certificate cannot renew again.
    await expectRefusal(() => renewDeviceCertificate(deps, who, makeTestCsr(), ip), 'FORBIDDEN', /accepted device/);
  });

  it('revoke and decommission revoke every certificate; a revoked device cannot renew', async () => {
    const { token: secret } = await token({ autoApprove: true });
    const a = await enrollDevice(deps, enrollRequest(secret), ip);
    const b = await enrollDevice(deps, enrollRequest(secret), ip);
    const revoked = await revokeDevice(t.db, testOperator, a.deviceId);
    expect(revoked.status).toBe('revoked');
    expect(revoked.certificates.every((c) => c.revokedAt)).toBe(true);
    const serial = revoked.certificates[0]?.serial ?? '';
    await expectRefusal(
      () => renewDeviceCertificate(deps, { deviceId: a.deviceId, serial }, makeTestCsr(), ip),
      'FORBIDDEN',
      /accepted device/,
    );
    const gone = await decommissionDevice(t.db, testOperator, b.deviceId);
    expect(gone).toMatchObject({ status: 'decommissioned', online: false });
    expect(gone.certificates.every((c) => c.revokedAt)).toBe(true);
    expect(await t.db.auditEvent.count({ where: { action: { in: ['device.revoke', 'device.decommission'] } } })).toBe(
      2,
    );
  });

  it('refuses a request that does not match the schema', async () => {
    const bad = { ...enrollRequest('efe_x'), facts: { hostname: 'h' } };
    // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed input
    await expectRefusal(() => enrollDevice(deps, bad as any, ip), 'INVALID', /facts\.os/);
  });
});
