import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FleetPki, loadOrCreateFleetPki } from '../pki/index.ts';
import { seedTestDevice } from '../pki/testing.ts';
import { checkDeviceCertificate, markDeviceConnection, revokedSince, touchDevices } from './session.ts';

describe.each(testDatabaseKinds())('device sessions on %s', (kind) => {
  let t: TestDatabase;
  let pki: FleetPki;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    pki = await loadOrCreateFleetPki(t.db, { secret: 'x'.repeat(40), publicHost: 'localhost' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('accepts an accepted device with its own current certificate and records first use', async () => {
    const d = await seedTestDevice(t.db, pki);
    expect(await checkDeviceCertificate(t.db, { deviceId: d.deviceId, serial: d.serial.toUpperCase() })).toEqual({
      ok: true,
    });
    const cert = await t.db.deviceCertificate.findUniqueOrThrow({ where: { serial: d.serial } });
    expect(cert.firstUsedAt).toBeInstanceOf(Date);
  });

  it('refuses a revoked serial', async () => {
    const d = await seedTestDevice(t.db, pki);
    await t.db.deviceCertificate.update({ where: { serial: d.serial }, data: { revokedAt: new Date() } });
    expect(await checkDeviceCertificate(t.db, { deviceId: d.deviceId, serial: d.serial })).toEqual({
      ok: false,
      reason: 'certificate is revoked',
    });
  });

  it('keeps the old serial working until the renewed one is first used, then refuses it', async () => {
    const old = await seedTestDevice(t.db, pki, { createdAt: new Date(Date.now() - 60_000) });
    expect((await checkDeviceCertificate(t.db, { deviceId: old.deviceId, serial: old.serial })).ok).toBe(true);
    const renewed = await seedTestDevice(t.db, pki, { deviceId: old.deviceId });
    expect((await checkDeviceCertificate(t.db, { deviceId: old.deviceId, serial: old.serial })).ok).toBe(true);
    expect((await checkDeviceCertificate(t.db, { deviceId: old.deviceId, serial: renewed.serial })).ok).toBe(true);
    expect(await checkDeviceCertificate(t.db, { deviceId: old.deviceId, serial: old.serial })).toEqual({
      ok: false,
      reason: 'certificate was replaced by a renewed one',
    });
    expect((await checkDeviceCertificate(t.db, { deviceId: old.deviceId, serial: renewed.serial })).ok).toBe(true);
  });

  it.each(['pending', 'rejected', 'revoked', 'decommissioned'] as const)('refuses a %s device', async (status) => {
    const d = await seedTestDevice(t.db, pki, { status });
    expect(await checkDeviceCertificate(t.db, { deviceId: d.deviceId, serial: d.serial })).toEqual({
      ok: false,
      reason: `device is ${status}`,
    });
  });

  it("refuses another device's serial, an unknown device and an expired certificate", async () => {
    const a = await seedTestDevice(t.db, pki);
    const b = await seedTestDevice(t.db, pki);
    expect(await checkDeviceCertificate(t.db, { deviceId: a.deviceId, serial: b.serial })).toEqual({
      ok: false,
      reason: 'certificate does not belong to this device',
    });
    expect(await checkDeviceCertificate(t.db, { deviceId: 'dev_nobody', serial: a.serial })).toEqual({
      ok: false,
      reason: 'unknown device',
    });
    const later = new Date(Date.now() + 31 * 86_400_000);
    expect(await checkDeviceCertificate(t.db, { deviceId: a.deviceId, serial: a.serial, now: later })).toEqual({
      ok: false,
      reason: 'certificate has expired',
    });
  });

  it('records presence and heartbeats', async () => {
    const a = await seedTestDevice(t.db, pki);
    const b = await seedTestDevice(t.db, pki);
    const at = new Date('2031-05-05T05:05:05Z');
    await markDeviceConnection(t.db, a.deviceId, true, at);
    let row = await t.db.device.findUniqueOrThrow({ where: { id: a.deviceId } });
    expect(row.online).toBe(true);
    expect(row.lastSeenAt).toEqual(at);
    const later = new Date('2031-05-05T05:06:00Z');
    await touchDevices(t.db, [a.deviceId, b.deviceId, a.deviceId], later);
    const bRow = await t.db.device.findUniqueOrThrow({ where: { id: b.deviceId } });
    expect(bRow.lastSeenAt).toEqual(later);
    // b was offline (the liveness sweep's verdict, say): its heartbeat proves it is back.
    expect(bRow.online).toBe(true);
    await markDeviceConnection(t.db, a.deviceId, false);
    row = await t.db.device.findUniqueOrThrow({ where: { id: a.deviceId } });
    expect(row.online).toBe(false);
  });

  it('lists revocations since a point in time', async () => {
    const before = new Date(Date.now() - 1000);
    const a = await seedTestDevice(t.db, pki);
    const b = await seedTestDevice(t.db, pki);
    await t.db.deviceCertificate.update({ where: { serial: a.serial }, data: { revokedAt: new Date() } });
    await t.db.device.update({ where: { id: b.deviceId }, data: { status: 'revoked' } });
    const r = await revokedSince(t.db, before);
    expect(r.serials).toContain(a.serial);
    expect(r.deviceIds).toContain(b.deviceId);
    expect(r.deviceIds).not.toContain(a.deviceId);
    const none = await revokedSince(t.db, new Date(r.until.getTime() + 1000));
    expect(none).toMatchObject({ serials: [], deviceIds: [] });
  });
});
