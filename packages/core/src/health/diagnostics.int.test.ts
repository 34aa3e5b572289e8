import type { Db } from '@edgefleet/db/client';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { PROTOCOL_VERSION } from '@edgefleet/protocol/device';
import { MAX_DIAGNOSTICS_BYTES, type TDiagnosticsBundle } from '@edgefleet/protocol/health';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDomainError } from '../errors.ts';
import { testOperator } from '../identity/testing.ts';
import { seedFleet, TestClock } from '../rollouts/engine-testing.ts';
import {
  DIAGNOSTICS_EXPIRY_MS,
  devicesToNotify,
  expireDiagnostics,
  getDiagnostics,
  listDiagnostics,
  MAX_PENDING_PER_DEVICE,
  markNotified,
  noticeFor,
  pendingFor,
  requestDiagnostics,
  storeBundle,
} from './diagnostics.ts';

const bundle = (over: Partial<TDiagnosticsBundle> = {}): TDiagnosticsBundle => ({
  v: PROTOCOL_VERSION,
  collectedAt: '2030-01-07T12:00:00.000Z',
  agentVersion: '0.1.0',
  logTail: ['connected', 'heartbeat'],
  config: { heartbeatMs: 30_000 },
  models: [{ model: 'detector', serving: { version: '1.0.0', slot: 'a' } }],
  recentErrors: [],
  system: { os: 'linux' },
  ...over,
});

/** Requests made under one clock reading list by id. */
const ids = (...rs: { id: string }[]) => rs.map((r) => r.id).sort();

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (isDomainError(e) ? e.code : String(e)),
  );

describe.each(testDatabaseKinds())('remote diagnostics on %s', (kind) => {
  let t: TestDatabase;
  let db: Db;
  const clock = new TestClock();
  const deps = () => ({ db, now: clock.now });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    db = t.db;
  });
  afterAll(async () => {
    await t?.close();
  });

  const device = async (status: 'accepted' | 'pending' | 'revoked' = 'accepted') =>
    (await seedFleet(db, 1, { status }))[0] as string;
  const ask = (deviceId: string) => requestDiagnostics(deps(), { deviceId, actor: testOperator });

  it('records a request for an accepted device, audited, and lists it as pending for that device only', async () => {
    const [a, b] = [await device(), await device()];
    const r = await ask(a);
    expect(r).toMatchObject({ deviceId: a, status: 'pending', requestedBy: testOperator.email, uploadedAt: null });
    expect(r.id).toMatch(/^diag_[0-9a-f]{16}$/);
    expect(await pendingFor(deps(), a)).toEqual([r.id]);
    expect(await pendingFor(deps(), b)).toEqual([]);
    const audit = await db.auditEvent.findMany({ where: { action: 'diagnostics.request', targetId: a } });
    expect(audit.map((e) => [e.outcome, e.actorLabel])).toEqual([['success', testOperator.email]]);
    const events = await db.deviceEvent.findMany({ where: { deviceId: a } });
    expect(events.map((e) => [e.kind, e.source])).toEqual([['diagnostics_requested', 'operator']]);
  });

  it('refuses devices that are unknown or not accepted, and more than a few pending per device (audited)', async () => {
    expect(await codeOf(ask('dev_nope'))).toBe('NOT_FOUND');
    const pending = await device('pending');
    expect(await codeOf(ask(pending))).toBe('PRECONDITION_FAILED');
    expect(await codeOf(ask(await device('revoked')))).toBe('PRECONDITION_FAILED');
    const busy = await device();
    // Concurrent asks: the row lock keeps the cap exact.
    const results = await Promise.all(Array.from({ length: MAX_PENDING_PER_DEVICE + 2 }, () => codeOf(ask(busy))));
    expect(results.filter((r) => r === 'ok')).toHaveLength(MAX_PENDING_PER_DEVICE);
    expect(results.filter((r) => r === 'CONFLICT')).toHaveLength(2);
    expect(await db.diagnosticsRequest.count({ where: { deviceId: busy } })).toBe(MAX_PENDING_PER_DEVICE);
    const refusals = await db.auditEvent.count({
      where: { action: 'diagnostics.request', targetId: { in: [pending, busy] }, outcome: 'failure' },
    });
    expect(refusals).toBe(3);
  });

  it('stores the bundle of its own pending request once, with its size and a device event', async () => {
    const d = await device();
    const r = await ask(d);
    const stored = await storeBundle(deps(), { deviceId: d, requestId: r.id, bundle: bundle() });
    expect(stored).toMatchObject({ status: 'uploaded', uploadedAt: clock.now() });
    const got = await getDiagnostics(deps(), r.id);
    expect(got.bundle).toEqual(bundle());
    expect(got.sizeBytes).toBe(Buffer.byteLength(JSON.stringify(bundle())));
    expect(await pendingFor(deps(), d)).toEqual([]);
    expect((await listDiagnostics(deps(), d)).map((v) => [v.id, v.status])).toEqual([[r.id, 'uploaded']]);
    // Answered once: a second upload changes nothing.
    expect(await codeOf(storeBundle(deps(), { deviceId: d, requestId: r.id, bundle: bundle({ logTail: [] }) }))).toBe(
      'CONFLICT',
    );
    expect((await getDiagnostics(deps(), r.id)).bundle?.logTail).toEqual(bundle().logTail);
    const events = await db.deviceEvent.findMany({ where: { deviceId: d }, orderBy: { ts: 'asc' } });
    expect(events.map((e) => e.kind)).toEqual(['diagnostics_requested', 'diagnostics_uploaded']);
  });

  it("refuses another device's request, unknown ids and invalid or oversized bundles, storing nothing", async () => {
    const [owner, other] = [await device(), await device()];
    const r = await ask(owner);
    expect(await codeOf(storeBundle(deps(), { deviceId: other, requestId: r.id, bundle: bundle() }))).toBe('NOT_FOUND');
    expect(await codeOf(storeBundle(deps(), { deviceId: owner, requestId: 'diag_0', bundle: bundle() }))).toBe(
      'NOT_FOUND',
    );
    const invalid = storeBundle(deps(), { deviceId: owner, requestId: r.id, bundle: { ...bundle(), logTail: 'x' } });
    await expect(invalid).rejects.toThrow(/logTail/);
    const huge = bundle({ config: { blob: 'x'.repeat(MAX_DIAGNOSTICS_BYTES) } });
    expect(await codeOf(storeBundle(deps(), { deviceId: owner, requestId: r.id, bundle: huge }))).toBe('INVALID');
    const row = await db.diagnosticsRequest.findUniqueOrThrow({ where: { id: r.id } });
    expect(row).toMatchObject({ status: 'pending', bundle: null, sizeBytes: null });
    const refused = await db.auditEvent.findMany({
      where: { action: 'device.diagnostics.upload', outcome: 'failure', actorId: other },
    });
    expect(refused).toHaveLength(1);
  });

  it('never stores a private key PEM that slipped into a bundle', async () => {
    const d = await device();
    const r = await ask(d);
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
    await storeBundle(deps(), { deviceId: d, requestId: r.id, bundle: bundle({ logTail: [`key: ${pem}`] }) });
    const stored = JSON.stringify((await getDiagnostics(deps(), r.id)).bundle);
    expect(stored).not.toContain('PRIVATE KEY');
    expect(stored).toContain('key: [redacted]');
  });

  it('expires requests never answered within 7 days; an expired one cannot be answered', async () => {
    const d = await device();
    const old = await ask(d);
    clock.advance(DIAGNOSTICS_EXPIRY_MS / 1000 - 60);
    const fresh = await ask(d);
    expect(await pendingFor(deps(), d)).toEqual([old.id, fresh.id]);
    clock.advance(120);
    // Reads as expired before the sweep marked it …
    expect(await pendingFor(deps(), d)).toEqual([fresh.id]);
    expect((await listDiagnostics(deps(), d)).map((v) => v.status)).toEqual(['pending', 'expired']);
    expect(await codeOf(storeBundle(deps(), { deviceId: d, requestId: old.id, bundle: bundle() }))).toBe('CONFLICT');
    // … and the sweep marks it.
    expect(await expireDiagnostics(deps())).toBeGreaterThanOrEqual(1);
    expect((await db.diagnosticsRequest.findUniqueOrThrow({ where: { id: old.id } })).status).toBe('expired');
    expect((await db.diagnosticsRequest.findUniqueOrThrow({ where: { id: fresh.id } })).status).toBe('pending');
    clock.set('2030-01-07T12:00:00.000Z');
  });

  it('rings each device whose pending set changed, until the notice went out; clears it once none is pending', async () => {
    // Earlier tests left devices to notify: settle them first.
    for (const id of await devicesToNotify(db)) await markNotified(deps(), id, (await noticeFor(deps(), id)).seen);
    const d = await device();
    const [r1, r2] = [await ask(d), await ask(d)];
    expect(await devicesToNotify(db)).toEqual([d]);
    const first = await noticeFor(deps(), d);
    expect(first.requestIds).toEqual(ids(r1, r2));
    // A request made after the notice was read is not covered by it: the device is rung again.
    const r3 = await ask(d);
    await markNotified(deps(), d, first.seen);
    expect(await devicesToNotify(db)).toEqual([d]);
    const second = await noticeFor(deps(), d);
    expect(second.requestIds).toEqual(ids(r1, r2, r3));
    await markNotified(deps(), d, second.seen);
    expect(await devicesToNotify(db)).toEqual([]);
    // Answering one changes the pending set: ring again, with what is left.
    await storeBundle(deps(), { deviceId: d, requestId: r2.id, bundle: bundle() });
    expect(await devicesToNotify(db)).toEqual([d]);
    const third = await noticeFor(deps(), d);
    expect(third.requestIds).toEqual(ids(r1, r3));
    await markNotified(deps(), d, third.seen);
    for (const r of [r1, r3]) await storeBundle(deps(), { deviceId: d, requestId: r.id, bundle: bundle() });
    expect((await noticeFor(deps(), d)).requestIds).toEqual([]);
  });
});
