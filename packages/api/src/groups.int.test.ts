import { testFacts } from '@edgefleet/core/identity/testing';
import { createTestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, createTestPki } from './test/harness.ts';

describe.each(testDatabaseKinds())('group procedures on %s', (kind) => {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let h: ReturnType<typeof createApiHarness>;
  let op: { cookie: string };
  let viewer: { cookie: string };

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    h = createApiHarness(t.db, await createTestPki(t.db));
    const o = await h.makeUser('operator');
    const v = await h.makeUser('viewer');
    op = { cookie: (await h.signIn(o.email, o.password)).cookie };
    viewer = { cookie: (await h.signIn(v.email, v.password)).cookie };
    await t.db.device.createMany({
      data: ['berlin', 'berlin', 'paris'].map((site, i) => ({
        id: `dev_api_group_${i}`,
        name: `box-${i}`,
        status: 'accepted' as const,
        facts: testFacts(),
        tags: { site },
        publicKeyPem: `key-${i}`,
      })),
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates, lists, re-selects and deletes groups; each mutation is audited once', async () => {
    const created = await h.call('groups.create', { name: 'berlin', selector: { site: 'berlin' } }, op, 'mutation');
    expect(created.status, JSON.stringify(created.error)).toBe(200);
    expect(created.data).toMatchObject({
      name: 'berlin',
      kind: 'dynamic',
      selector: { site: 'berlin' },
      deviceCount: 2,
    });
    const id = created.data.id as string;

    const list = await h.call('groups.list', undefined, viewer, 'query');
    expect(list.status).toBe(200);
    expect(list.data).toEqual([expect.objectContaining({ id, name: 'berlin', kind: 'dynamic', deviceCount: 2 })]);
    const members = await h.call('devices.list', { group: 'berlin' }, viewer, 'query');
    expect(members.data.devices.map((d: { id: string }) => d.id).sort()).toEqual([
      'dev_api_group_0',
      'dev_api_group_1',
    ]);

    const paris = await h.call('groups.setSelector', { id, selector: { site: 'paris' } }, op, 'mutation');
    expect(paris.data).toMatchObject({ kind: 'dynamic', deviceCount: 1 });
    const deleted = await h.call('groups.delete', { id }, op, 'mutation');
    expect(deleted.data).toEqual({ id, name: 'berlin', kind: 'dynamic' });
    expect((await h.call('groups.delete', { id }, op, 'mutation')).status).toBe(404);

    const events = await t.db.auditEvent.findMany({
      where: { targetType: 'deviceGroup', targetId: id },
      orderBy: { id: 'asc' },
    });
    expect(events.map((e) => [e.action, e.outcome])).toEqual([
      ['groups.create', 'success'],
      ['groups.setSelector', 'success'],
      ['groups.delete', 'success'],
      ['groups.delete', 'failure'],
    ]);
  });

  it('maps duplicate names to 409 and bad selectors to 400', async () => {
    expect((await h.call('groups.create', { name: 'static-one' }, op, 'mutation')).data.kind).toBe('static');
    const dup = await h.call('groups.create', { name: 'static-one', selector: { a: 'b' } }, op, 'mutation');
    expect(dup.status).toBe(409);
    expect(dup.error?.message).toMatch(/already exists/);
    expect((await h.call('groups.create', { name: 'bad', selector: {} }, op, 'mutation')).status).toBe(400);
    expect(
      (await h.call('groups.create', { name: 'bad', selector: { 'no spaces': 'x' } }, op, 'mutation')).status,
    ).toBe(400);
  });

  it('lets a viewer list groups but not create, change or delete them (403, audited)', async () => {
    const refused = await h.call(
      'groups.create',
      { name: 'viewer-made', selector: { site: 'berlin' } },
      viewer,
      'mutation',
    );
    expect(refused.status).toBe(403);
    expect(await t.db.deviceGroup.count({ where: { name: 'viewer-made' } })).toBe(0);
    const existing = await t.db.deviceGroup.findFirstOrThrow({ where: { name: 'static-one' } });
    expect((await h.call('groups.setSelector', { id: existing.id, selector: null }, viewer, 'mutation')).status).toBe(
      403,
    );
    expect((await h.call('groups.delete', { id: existing.id }, viewer, 'mutation')).status).toBe(403);
    expect(await t.db.auditEvent.count({ where: { action: 'groups.create', outcome: 'failure' } })).toBeGreaterThan(0);
    expect((await h.call('groups.list', undefined, viewer, 'query')).status).toBe(200);
  });
});
