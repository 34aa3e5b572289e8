import { applyStateReport } from '@edgefleet/core/rollouts/reports';
import { type SeededVersion, seedBareDevices, seedPublishedVersion } from '@edgefleet/core/rollouts/testing';
import { createTestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { PROTOCOL_VERSION } from '@edgefleet/protocol/device';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, createTestPki } from './test/harness.ts';

describe.each(testDatabaseKinds())('rollout, pin and deployment procedures on %s', (kind) => {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let h: ReturnType<typeof createApiHarness>;
  let op: { cookie: string };
  let viewer: { cookie: string };
  let v1: SeededVersion;
  let v2: SeededVersion;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    h = createApiHarness(t.db, await createTestPki(t.db));
    const o = await h.makeUser('operator');
    const v = await h.makeUser('viewer');
    op = { cookie: (await h.signIn(o.email, o.password)).cookie };
    viewer = { cookie: (await h.signIn(v.email, v.password)).cookie };
    v1 = await seedPublishedVersion(t.db, { model: 'detector', version: '1.0.0' });
    v2 = await seedPublishedVersion(t.db, { model: 'detector', version: '1.1.0', publisher: v1.publisher });
  });
  afterAll(async () => {
    await t?.close();
  });

  const audits = (action: string) => t.db.auditEvent.findMany({ where: { action }, orderBy: { id: 'asc' } });
  const tagged = async (count: number, site: string) => {
    const ids = await seedBareDevices(t.db, count);
    await t.db.device.updateMany({ where: { id: { in: ids } }, data: { tags: { site } } });
    return ids;
  };

  it('lets a viewer read but not create; an operator creates, and the rollout shows its counts', async () => {
    const ids = await tagged(10, 'berlin');
    const input = {
      model: 'detector',
      version: '1.1.0',
      selector: { kind: 'tags', tags: { site: 'berlin' } },
      strategy: {
        kind: 'phases',
        phases: [
          { percent: 20, soakSeconds: 0 },
          { percent: 100, soakSeconds: 600 },
        ],
      },
    };
    const refused = await h.call('rollouts.create', input, viewer, 'mutation');
    expect(refused.status).toBe(403);
    expect(refused.error?.message).toMatch(/rollouts:write/);
    expect(await t.db.rollout.count()).toBe(0);

    const created = await h.call('rollouts.create', input, op, 'mutation');
    expect(created.status, JSON.stringify(created.error)).toBe(200);
    expect(created.data).toEqual({ id: expect.stringMatching(/^ro_/), deviceCount: 10, skipped: 0 });
    // Core wrote the audit row; the middleware did not add a second one.
    expect((await audits('rollout.create')).map((a) => a.outcome)).toEqual(['success']);
    expect(await audits('rollouts.create')).toEqual([expect.objectContaining({ outcome: 'failure' })]);

    const got = await h.call('rollouts.get', { id: created.data.id }, viewer, 'query');
    expect(got.status).toBe(200);
    expect(got.data).toMatchObject({
      id: created.data.id,
      model: 'detector',
      version: '1.1.0',
      status: 'running',
      deviceCount: 10,
      counts: expect.objectContaining({ queued: 10, succeeded: 0 }),
      phases: [
        expect.objectContaining({ index: 0, target: 2 }),
        expect.objectContaining({ index: 1, target: 10, soakSeconds: 600 }),
      ],
      events: [expect.objectContaining({ kind: 'created' })],
    });
    const devices = await h.call('rollouts.devices', { id: created.data.id, limit: 4 }, viewer, 'query');
    expect(devices.data.items).toHaveLength(4);
    expect(new Set(devices.data.items.map((d: { deviceId: string }) => d.deviceId)).size).toBe(4);
    expect(ids).toEqual(expect.arrayContaining(devices.data.items.map((d: { deviceId: string }) => d.deviceId)));
    const list = await h.call('rollouts.list', { status: ['running'] }, viewer, 'query');
    expect(list.data.items.map((r: { id: string }) => r.id)).toContain(created.data.id);
  });

  it('previews a selector: matched, pinned, busy and eligible', async () => {
    const ids = await tagged(6, 'paris');
    const pin = await h.call('pins.set', { model: 'detector', version: '1.0.0', deviceId: ids[0] }, op, 'mutation');
    expect(pin.status, JSON.stringify(pin.error)).toBe(200);
    const first = await h.call(
      'rollouts.create',
      { model: 'detector', version: '1.1.0', selector: { kind: 'devices', deviceIds: [ids[1], ids[2]] } },
      op,
      'mutation',
    );
    expect(first.status, JSON.stringify(first.error)).toBe(200);
    const preview = await h.call(
      'rollouts.preview',
      { model: 'detector', selector: { kind: 'tags', tags: { site: 'paris' } } },
      viewer,
      'query',
    );
    expect(preview.data).toEqual({ matched: 6, pinned: 1, busy: 2, eligible: 3 });

    // The overlapping rollout is refused, naming the one in the way.
    const overlap = await h.call(
      'rollouts.create',
      { model: 'detector', version: '1.1.0', selector: { kind: 'tags', tags: { site: 'paris' } } },
      op,
      'mutation',
    );
    expect(overlap.status).toBe(409);
    expect(overlap.error?.message).toContain(first.data.id);
  });

  it('pauses, resumes, aborts, with reasons; refuses what does not apply', async () => {
    const ids = await tagged(3, 'oslo');
    const created = await h.call(
      'rollouts.create',
      { model: 'detector', version: '1.1.0', selector: { kind: 'devices', deviceIds: ids } },
      op,
      'mutation',
    );
    const id = created.data.id;
    const paused = await h.call('rollouts.pause', { id, reason: 'night shift' }, op, 'mutation');
    expect(paused.data).toMatchObject({ id, status: 'paused', statusReason: 'night shift' });
    expect((await h.call('rollouts.pause', { id }, op, 'mutation')).status).toBe(409);
    expect((await h.call('rollouts.resume', { id }, viewer, 'mutation')).status).toBe(403);
    expect((await h.call('rollouts.resume', { id }, op, 'mutation')).data).toMatchObject({ status: 'running' });
    const aborted = await h.call('rollouts.abort', { id, reason: 'wrong build' }, op, 'mutation');
    expect(aborted.data).toMatchObject({ status: 'aborted', counts: expect.objectContaining({ cancelled: 3 }) });
    expect((await h.call('rollouts.get', { id: 'ro_missing' }, op, 'query')).status).toBe(404);
    for (const action of ['rollout.pause', 'rollout.resume', 'rollout.abort']) {
      expect((await audits(action)).filter((a) => a.targetId === id).length).toBeGreaterThan(0);
    }
    expect(
      await t.db.auditEvent.count({
        where: { action: { in: ['rollouts.pause', 'rollouts.resume'] }, outcome: 'success' },
      }),
    ).toBe(0);
  });

  it('pins: set and remove need devices:write; list shows them', async () => {
    const [id] = await tagged(1, 'rome');
    expect(
      (await h.call('pins.set', { model: 'detector', version: '1.0.0', deviceId: id }, viewer, 'mutation')).status,
    ).toBe(403);
    const set = await h.call(
      'pins.set',
      { model: 'detector', version: '1.0.0', deviceId: id, reason: 'certified' },
      op,
      'mutation',
    );
    expect(set.data).toMatchObject({
      pin: { model: 'detector', version: '1.0.0', deviceId: id, reason: 'certified' },
      devices: 1,
      updated: 1,
    });
    const list = await h.call('pins.list', { deviceId: id }, viewer, 'query');
    expect(list.data).toEqual([expect.objectContaining({ id: set.data.pin.id })]);
    expect((await h.call('pins.set', { model: 'detector', version: '1.0.0' }, op, 'mutation')).status).toBe(400);
    const removed = await h.call('pins.remove', { id: set.data.pin.id }, op, 'mutation');
    expect(removed.data).toMatchObject({ id: set.data.pin.id });
    expect((await h.call('pins.list', { deviceId: id }, viewer, 'query')).data).toEqual([]);
  });

  it("shows a device's models and a model's deployments", async () => {
    const [id] = await tagged(1, 'lima');
    if (!id) throw new Error('seeded');
    await h.call('pins.set', { model: 'detector', version: '1.0.0', deviceId: id }, op, 'mutation');
    await applyStateReport(t.db, id, {
      v: PROTOCOL_VERSION,
      ts: new Date().toISOString(),
      instructionVersion: 1,
      models: [{ model: 'detector', serving: { version: '1.0.0', slot: 'a', since: new Date().toISOString() } }],
    });
    const models = await h.call('devices.models', { deviceId: id }, viewer, 'query');
    expect(models.status, JSON.stringify(models.error)).toBe(200);
    expect(models.data).toEqual([
      expect.objectContaining({
        model: 'detector',
        desired: expect.objectContaining({ version: '1.0.0' }),
        installed: expect.objectContaining({ servingVersion: '1.0.0' }),
      }),
    ]);
    const deployments = await h.call('models.deployments', { name: 'detector' }, viewer, 'query');
    expect(deployments.data).toEqual(
      expect.arrayContaining([expect.objectContaining({ version: '1.0.0', serving: 1, desired: expect.any(Number) })]),
    );
    expect((await h.call('models.deployments', { name: 'nope' }, viewer, 'query')).status).toBe(404);
    expect(v2.version).toBe('1.1.0');
  });
});
