import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDevices, setDeviceTags } from './devices.ts';
import { createGroup, deleteGroup, listGroups, updateGroupSelector } from './groups.ts';
import { testFacts, testOperator } from './testing.ts';

const devId = (i: number) => `dev_${i.toString(16).padStart(20, '0')}`;

describe.each(testDatabaseKinds())('device groups on %s', (kind) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    await t.db.deviceGroup.create({ data: { id: 'g_lab', name: 'lab' } });
    // 12 devices: site alternates, every third is core tier, the first four are assigned to static "lab".
    await t.db.device.createMany({
      data: Array.from({ length: 12 }, (_, i) => ({
        id: devId(i),
        name: `edge-${i}`,
        status: 'accepted' as const,
        facts: testFacts(),
        tags: { site: i % 2 ? 'berlin' : 'paris', tier: i % 3 ? 'edge' : 'core', 'hw.gpu': i < 6 ? 'orin' : 'none' },
        groupId: i < 4 ? 'g_lab' : null,
        publicKeyPem: `key-${i}`,
      })),
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const members = async (group: string) =>
    (await listDevices(t.db, { group, sort: 'name', limit: 200 })).devices.map((d) => d.id).sort();
  const countOf = async (name: string) => (await listGroups(t.db)).find((g) => g.name === name)?.deviceCount;

  it('lists static and dynamic groups with member counts that match the devices list', async () => {
    const berlin = await createGroup(t.db, testOperator, { name: 'berlin', selector: { site: 'berlin' } });
    expect(berlin).toMatchObject({ kind: 'dynamic', selector: { site: 'berlin' }, deviceCount: 6 });
    await createGroup(t.db, testOperator, { name: 'berlin-core', selector: { site: 'berlin', tier: 'core' } });
    await createGroup(t.db, testOperator, { name: 'gpus', selector: { 'hw.gpu': 'orin' } });
    await createGroup(t.db, testOperator, { name: 'empty-static' });

    const groups = await listGroups(t.db);
    expect(groups.map((g) => [g.name, g.kind, g.deviceCount])).toEqual([
      ['berlin', 'dynamic', 6],
      ['berlin-core', 'dynamic', 2],
      ['empty-static', 'static', 0],
      ['gpus', 'dynamic', 6],
      ['lab', 'static', 4],
    ]);
    for (const g of groups) expect((await listDevices(t.db, { group: g.name })).total, g.name).toBe(g.deviceCount);
  });

  it('filters the devices list by either kind of group', async () => {
    // Static: the assigned devices, whatever their tags.
    expect(await members('lab')).toEqual([0, 1, 2, 3].map(devId));
    // Dynamic: every device whose tags contain the selector, assigned to a group or not.
    expect(await members('berlin')).toEqual([1, 3, 5, 7, 9, 11].map(devId));
    expect(await members('berlin-core')).toEqual([3, 9].map(devId));
    expect(await members('gpus')).toEqual([0, 1, 2, 3, 4, 5].map(devId));
    // Combined with other filters, and an unknown group matches nothing.
    expect((await listDevices(t.db, { group: 'berlin', tag: [{ key: 'tier', value: 'core' }] })).total).toBe(2);
    expect((await listDevices(t.db, { group: 'lab', q: 'edge-1' })).devices.map((d) => d.id)).toEqual([devId(1)]);
    expect((await listDevices(t.db, { group: 'no-such-group' })).total).toBe(0);
  });

  it('dynamic membership follows tag changes', async () => {
    const paris = devId(0);
    expect(await members('berlin')).not.toContain(paris);
    await setDeviceTags(t.db, testOperator, paris, { set: { site: 'berlin' } });
    expect(await members('berlin')).toContain(paris);
    expect(await countOf('berlin')).toBe(7);
    await setDeviceTags(t.db, testOperator, paris, { remove: ['site'] });
    expect(await members('berlin')).not.toContain(paris);
    expect(await countOf('berlin')).toBe(6);
    // Static membership does not follow tags.
    expect(await members('lab')).toContain(paris);
  });

  it('refuses to assign a device to a dynamic group, and changes nothing', async () => {
    await createGroup(t.db, testOperator, { name: 'by-tags', selector: { tier: 'core' } });
    const device = devId(5);
    const before = await t.db.device.findUniqueOrThrow({ where: { id: device } });
    await expect(setDeviceTags(t.db, testOperator, device, { group: 'by-tags' })).rejects.toMatchObject({
      code: 'INVALID',
      message: expect.stringMatching(/dynamic/),
    });
    const after = await t.db.device.findUniqueOrThrow({ where: { id: device } });
    expect(after.groupId).toBe(before.groupId);
  });

  it('refuses a duplicate name, static or dynamic', async () => {
    await expect(createGroup(t.db, testOperator, { name: 'lab', selector: { site: 'x' } })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(createGroup(t.db, testOperator, { name: ' berlin ' })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it.each([
    ['no pairs', {}],
    ['a bad key', { 'bad key': 'x' }],
    ['a key over 64 characters', { ['k'.repeat(65)]: 'x' }],
    ['an empty value', { site: '  ' }],
    ['a value over 128 characters', { site: 'v'.repeat(129) }],
    ['more than 16 pairs', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']))],
  ])('refuses a selector with %s as INVALID, creating nothing', async (_what, selector) => {
    await expect(createGroup(t.db, testOperator, { name: 'bad-selector', selector })).rejects.toMatchObject({
      code: 'INVALID',
    });
    expect(await t.db.deviceGroup.count({ where: { name: 'bad-selector' } })).toBe(0);
  });

  it('accepts a selector at the limits', async () => {
    const selector = Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [`k${i}`.padEnd(64, 'x'), 'v'.repeat(128)]),
    );
    const g = await createGroup(t.db, testOperator, { name: 'at-limits', selector });
    expect(g).toMatchObject({ kind: 'dynamic', deviceCount: 0 });
    await deleteGroup(t.db, testOperator, g.id);
  });

  it('switches a group between static and dynamic', async () => {
    const g = await createGroup(t.db, testOperator, { name: 'switch' });
    await t.db.device.updateMany({ where: { id: { in: [devId(10), devId(11)] } }, data: { groupId: g.id } });
    expect(await members('switch')).toEqual([devId(10), devId(11)]);

    // Static → dynamic: the assigned devices are let go; the selector alone decides.
    const dynamic = await updateGroupSelector(t.db, testOperator, g.id, { tier: 'core' });
    expect(dynamic).toMatchObject({ kind: 'dynamic', selector: { tier: 'core' }, deviceCount: 4 });
    expect(await members('switch')).toEqual([0, 3, 6, 9].map(devId));
    expect(await t.db.device.count({ where: { groupId: g.id } })).toBe(0);

    const back = await updateGroupSelector(t.db, testOperator, g.id, null);
    expect(back).toMatchObject({ kind: 'static', selector: null, deviceCount: 0 });
    await expect(updateGroupSelector(t.db, testOperator, g.id, {})).rejects.toMatchObject({ code: 'INVALID' });
    await expect(updateGroupSelector(t.db, testOperator, 'grp_missing', null)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('deletes a group: a static group’s devices are left without one, the devices stay', async () => {
    const lab = (await listGroups(t.db)).find((g) => g.name === 'lab');
    expect(await deleteGroup(t.db, testOperator, lab?.id ?? '')).toEqual({ id: 'g_lab', name: 'lab', kind: 'static' });
    expect(await t.db.device.count({ where: { id: { in: [0, 1, 2, 3].map(devId) }, groupId: null } })).toBe(4);
    expect((await listDevices(t.db, { group: 'lab' })).total).toBe(0);
    await expect(deleteGroup(t.db, testOperator, 'g_lab')).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const berlin = (await listGroups(t.db)).find((g) => g.name === 'berlin');
    expect((await deleteGroup(t.db, testOperator, berlin?.id ?? '')).kind).toBe('dynamic');
    expect(await t.db.device.count()).toBe(12);
  });
});
