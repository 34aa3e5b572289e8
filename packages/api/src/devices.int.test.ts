import { enrollDevice } from '@edgefleet/core/identity/enroll';
import { makeTestCsr } from '@edgefleet/core/pki/testing';
import { createTestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import type { TDeviceFacts } from '@edgefleet/protocol/device';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, createTestPki } from './test/harness.ts';

const kinds = await testDatabaseKinds();

const facts = (hostname: string, extra: Partial<TDeviceFacts> = {}): TDeviceFacts => ({
  hostname,
  os: 'linux',
  arch: 'arm64',
  cpu: { model: 'Cortex-A78AE', cores: 8 },
  memoryBytes: 32 * 1024 ** 3,
  accelerators: [{ kind: 'cuda', name: 'Orin' }],
  backends: ['onnxruntime-node'],
  agentVersion: '0.1.0',
  ...extra,
});

describe.each(kinds)('device and enrollment-token procedures on %s', (kind) => {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let h: ReturnType<typeof createApiHarness>;
  let op: { cookie: string };
  let viewer: { cookie: string };

  /** Enrolls a device the way the gateway does, with a token made through the API. */
  async function enroll(token: string, hostname: string, extra: Partial<TDeviceFacts> = {}) {
    return enrollDevice(
      { db: t.db, pki: h.pki },
      { v: 1, token, csr: makeTestCsr(), facts: facts(hostname, extra) },
      {
        ip: '192.0.2.10',
      },
    );
  }
  async function makeEnrollToken(input: Record<string, unknown>) {
    const r = await h.call('enrollTokens.create', input, op, 'mutation');
    expect(r.status, JSON.stringify(r.error)).toBe(200);
    return r.data as { token: string; view: { id: string; name: string; uses: number; status: string } };
  }

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    h = createApiHarness(t.db, await createTestPki(t.db));
    const o = await h.makeUser('operator');
    const v = await h.makeUser('viewer');
    op = { cookie: (await h.signIn(o.email, o.password)).cookie };
    viewer = { cookie: (await h.signIn(v.email, v.password)).cookie };
  });
  afterAll(async () => {
    await t?.close();
  });

  it('shows the CA fingerprint in system.info', async () => {
    const info = await h.call('system.info', undefined, op, 'query');
    expect(info.data.caFingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(info.data.caFingerprint).toBe(h.pki.fingerprint);
  });

  it('creates an enrollment token shown once; lists never include it; viewers may only read', async () => {
    const { token, view } = await makeEnrollToken({
      group: 'lab',
      tags: { site: 'berlin' },
      maxUses: 3,
      expiresInHours: 0.5,
    });
    expect(token).toMatch(/^efe_[\w-]{40,}$/);
    expect(view).toMatchObject({ group: 'lab', tags: { site: 'berlin' }, maxUses: 3, uses: 0, status: 'active' });

    const list = await h.call('enrollTokens.list', undefined, viewer, 'query');
    expect(list.status).toBe(200);
    expect(list.data.map((x: { id: string }) => x.id)).toContain(view.id);
    expect(JSON.stringify(list.data)).not.toContain(token);

    const refused = await h.call('enrollTokens.create', { group: 'lab' }, viewer, 'mutation');
    expect(refused.status).toBe(403);
    const audit = await t.db.auditEvent.findFirst({ where: { action: 'enrollTokens.create', outcome: 'success' } });
    expect(JSON.stringify(audit?.detail)).not.toContain(token);

    const revoked = await h.call('enrollTokens.revoke', { id: view.id }, op, 'mutation');
    expect(revoked.data.status).toBe('revoked');
    await expect(enroll(token, 'too-late')).rejects.toThrow(/revoked/);
  });

  it('approves a pending device: it gets a certificate and the change is audited', async () => {
    const { token } = await makeEnrollToken({ group: 'approve-me' });
    const res = await enroll(token, 'jetson-pending');
    expect(res.status).toBe('pending');

    const pending = await h.call('devices.list', { status: ['pending'], group: 'approve-me' }, viewer, 'query');
    expect(pending.data.devices).toHaveLength(1);
    expect(pending.data.devices[0]).toMatchObject({ id: res.deviceId, status: 'pending', certificateNotAfter: null });

    expect((await h.call('devices.approve', { id: res.deviceId }, viewer, 'mutation')).status).toBe(403);
    const approved = await h.call('devices.approve', { id: res.deviceId }, op, 'mutation');
    expect(approved.status).toBe(200);
    expect(approved.data.status).toBe('accepted');
    expect(approved.data.certificates).toHaveLength(1);
    expect(approved.data.enrollmentToken.name).toBe('enroll into approve-me');
    expect(JSON.stringify(approved.data)).not.toMatch(/BEGIN CERTIFICATE REQUEST|pollSecret/);

    // One event per decision: core records it (with from/to detail); the transport does not repeat it.
    const events = await t.db.auditEvent.findMany({
      where: { targetId: res.deviceId, outcome: 'success', action: { contains: 'approve' } },
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'device.approve', targetType: 'device', outcome: 'success' });
    // The viewer's refused attempt (missing scope) is recorded by the transport.
    expect(await t.db.auditEvent.count({ where: { action: 'devices.approve', outcome: 'failure' } })).toBeGreaterThan(
      0,
    );

    const again = await h.call('devices.approve', { id: res.deviceId }, op, 'mutation');
    expect(again.status).toBe(409);
    // Two refusals, each once: the viewer's (no scope, by the transport) and this one (by core).
    const refusals = await t.db.auditEvent.findMany({
      where: { targetId: res.deviceId, outcome: 'failure' },
      orderBy: { id: 'asc' },
    });
    expect(refusals.map((e) => e.action)).toEqual(['devices.approve', 'device.approve']);
  });

  it('rejects, revokes and decommissions, refusing transitions that make no sense', async () => {
    const manual = await makeEnrollToken({ group: 'lifecycle' });
    const auto = await makeEnrollToken({ group: 'lifecycle', autoApprove: true });
    const pending = await enroll(manual.token, 'to-reject');
    const accepted = await enroll(auto.token, 'to-revoke');
    expect(accepted.status).toBe('accepted');

    expect((await h.call('devices.revoke', { id: pending.deviceId }, op, 'mutation')).status).toBe(409);
    expect((await h.call('devices.reject', { id: pending.deviceId }, op, 'mutation')).data.status).toBe('rejected');

    const revoked = await h.call('devices.revoke', { id: accepted.deviceId }, op, 'mutation');
    expect(revoked.data.status).toBe('revoked');
    expect(revoked.data.certificates.every((c: { revokedAt: unknown }) => c.revokedAt)).toBe(true);
    const gone = await h.call('devices.decommission', { id: accepted.deviceId }, op, 'mutation');
    expect(gone.data.status).toBe('decommissioned');

    expect((await h.call('devices.get', { id: 'dev_nope' }, op, 'query')).status).toBe(404);
  });

  it('filters, sorts and pages through devices with cursors', async () => {
    const { token } = await makeEnrollToken({ group: 'paging', tags: { rack: 'r1' }, autoApprove: true });
    const names = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf'];
    for (const n of names) await enroll(token, `pg-${n}`, { serialNumber: `SN-${n}` });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const input: Record<string, unknown> = { group: 'paging', sort: 'name', order: 'asc', limit: 3, cursor };
      const page = await h.call('devices.list', input, viewer, 'query');
      expect(page.status).toBe(200);
      expect(page.data.total).toBe(7);
      seen.push(...page.data.devices.map((d: { name: string }) => d.name));
      cursor = page.data.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(names.map((n) => `pg-${n}`));

    const byTag = await h.call('devices.list', { tag: [{ key: 'rack', value: 'r1' }], q: 'pg-e' }, viewer, 'query');
    expect(byTag.data.devices.map((d: { name: string }) => d.name)).toEqual(['pg-echo']);
    const bySerial = await h.call('devices.list', { q: 'SN-golf' }, viewer, 'query');
    expect(bySerial.data.devices.map((d: { name: string }) => d.name)).toEqual(['pg-golf']);

    const counts = await h.call('devices.statusCounts', undefined, viewer, 'query');
    expect(counts.data.accepted).toBeGreaterThanOrEqual(7);
    expect(Object.keys(counts.data).sort()).toEqual(['accepted', 'decommissioned', 'pending', 'rejected', 'revoked']);

    const bad = await h.call('devices.list', { cursor: 'not-a-cursor' }, viewer, 'query');
    expect(bad.status).toBe(400);
  });

  it('sets and removes tags and moves a device between groups', async () => {
    const { token } = await makeEnrollToken({ group: 'tagging', tags: { a: '1', b: '2' }, autoApprove: true });
    const { deviceId } = await enroll(token, 'tag-me');
    const r = await h.call(
      'devices.tag',
      { id: deviceId, set: { c: '3', a: '9' }, remove: ['b'], group: 'moved' },
      op,
      'mutation',
    );
    expect(r.status).toBe(200);
    expect(r.data).toMatchObject({ tags: { a: '9', c: '3' }, group: 'moved' });
    expect(r.data.tags).not.toHaveProperty('b');
    const none = await h.call('devices.tag', { id: deviceId, group: null }, op, 'mutation');
    expect(none.data.group).toBeNull();
    expect((await h.call('devices.tag', { id: deviceId, set: { 'bad key!': 'x' } }, op, 'mutation')).status).toBe(400);
  });

  it('pre-authorizes from CSV text; a pre-authorized device is accepted at once', async () => {
    const csv = 'serialNumber,hardwareId,group,tags\nSN-PRE-1,,factory,line=7\n,hw-pre-2,,\n';
    const r = await h.call('devices.preauthorize', { text: csv, filename: 'batch.csv' }, op, 'mutation');
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ added: 2, skipped: 0 });
    const again = await h.call('devices.preauthorize', { entries: [{ serialNumber: 'SN-PRE-1' }] }, op, 'mutation');
    expect(again.data).toEqual({ added: 0, skipped: 1 });

    const bad = await h.call(
      'devices.preauthorize',
      { text: 'serialNumber,colour\nx,red\n', filename: 'x.csv' },
      op,
      'mutation',
    );
    expect(bad.status).toBe(400);
    expect(bad.error?.message).toMatch(/x\.csv/);

    const { token } = await makeEnrollToken({ group: 'anywhere', preauthorizedOnly: true });
    const res = await enroll(token, 'factory-box', { serialNumber: 'SN-PRE-1' });
    expect(res.status).toBe('accepted');
    const d = await h.call('devices.get', { id: res.deviceId }, op, 'query');
    expect(d.data).toMatchObject({ group: 'factory', tags: { line: '7' } });
    await expect(enroll(token, 'stranger', { serialNumber: 'SN-UNKNOWN' })).rejects.toThrow(/pre-authorized/);
  });
});
