import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_STATUSES, type DeviceStatus } from './common.ts';
import { type DeviceListQuery, type DeviceSort, getDevice, listDevices, setDeviceTags } from './devices.ts';
import { testFacts, testOperator } from './testing.ts';

const NAMES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf'];

describe.each(testDatabaseKinds())('device inventory on %s', (kind) => {
  let t: TestDatabase;
  const base = Date.UTC(2026, 0, 1);

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    await t.db.deviceGroup.createMany({
      data: [
        { id: 'g1', name: 'lab' },
        { id: 'g2', name: 'field' },
      ],
    });
    // 30 devices with repeated names, statuses and timestamps, so every sort needs its id tie-breaker.
    await t.db.device.createMany({
      data: Array.from({ length: 30 }, (_, i) => ({
        id: `dev_${i.toString(16).padStart(20, '0')}`,
        name: NAMES[i % NAMES.length] ?? 'x',
        status: DEVICE_STATUSES[i % 4] as DeviceStatus,
        facts: testFacts({ serialNumber: `SN-${i}` }),
        serialNumber: `SN-${i}`,
        tags: { site: i % 2 ? 'berlin' : 'paris', tier: i % 3 ? 'edge' : 'core' },
        groupId: i % 3 === 0 ? 'g1' : i % 3 === 1 ? 'g2' : null,
        publicKeyPem: `key-${i}`,
        createdAt: new Date(base + (i % 10) * 60_000),
        lastSeenAt: i % 5 === 0 ? null : new Date(base + (i % 7) * 1000),
      })),
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function pageThrough(q: DeviceListQuery, limit: number) {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let n = 0; n < 100; n++) {
      const page: Awaited<ReturnType<typeof listDevices>> = await listDevices(t.db, { ...q, limit, cursor });
      ids.push(...page.devices.map((d) => d.id));
      cursor = page.nextCursor;
      if (!cursor) return ids;
    }
    throw new Error('pagination does not end');
  }

  const sorts: DeviceSort[] = ['name', 'createdAt', 'lastSeenAt', 'status'];
  it.each(sorts.flatMap((s) => [[s, 'asc'] as const, [s, 'desc'] as const]))(
    'pages by %s %s with a cursor: no row lost or repeated, in order',
    async (sort, order) => {
      const all = await listDevices(t.db, { sort, order, limit: 200 });
      expect(all.total).toBe(30);
      expect(all.nextCursor).toBeNull();
      const paged = await pageThrough({ sort, order }, 4);
      expect(paged).toEqual(all.devices.map((d) => d.id));
      expect(new Set(paged).size).toBe(30);

      const dir = order === 'asc' ? 1 : -1;
      const key = (d: (typeof all.devices)[number]) =>
        sort === 'status'
          ? DEVICE_STATUSES.indexOf(d.status)
          : sort === 'createdAt'
            ? d.createdAt.getTime()
            : sort === 'lastSeenAt'
              ? d.lastSeenAt?.getTime()
              : null;
      for (let i = 1; i < all.devices.length; i++) {
        const [a, b] = [all.devices[i - 1], all.devices[i]];
        if (!a || !b || sort === 'name') continue;
        const [ka, kb] = [key(a), key(b)];
        if (ka === undefined) expect(kb, 'never-seen devices come last').toBeUndefined();
        else if (kb !== undefined && ka !== null && kb !== null) {
          expect(Math.sign(kb - ka) * dir).toBeGreaterThanOrEqual(0);
          if (ka === kb) expect(b.id > a.id ? dir : -dir).toBe(1);
        }
      }
    },
  );

  it('filters in SQL by status, group, tags and text; total counts the filtered set', async () => {
    const accepted = await listDevices(t.db, { status: ['accepted'], limit: 200 });
    expect(accepted.total).toBe(8);
    expect(accepted.devices.every((d) => d.status === 'accepted')).toBe(true);

    const lab = await listDevices(t.db, { group: 'lab', limit: 200 });
    expect(lab.total).toBe(10);
    expect(lab.devices.every((d) => d.group === 'lab')).toBe(true);

    const tagged = await listDevices(t.db, {
      tag: [
        { key: 'site', value: 'berlin' },
        { key: 'tier', value: 'core' },
      ],
      limit: 200,
    });
    expect(tagged.devices.map((d) => d.id).sort()).toEqual(
      [3, 9, 15, 21, 27].map((i) => `dev_${i.toString(16).padStart(20, '0')}`),
    );
    expect(tagged.total).toBe(5);

    expect((await listDevices(t.db, { q: 'ALPH' })).total).toBe(5);
    expect((await listDevices(t.db, { q: 'SN-7' })).devices.map((d) => d.id)).toEqual([`dev_${'7'.padStart(20, '0')}`]);
    expect((await listDevices(t.db, { q: 'dev_0000000000000000001' })).total).toBe(14); // ids 0x10-0x1d

    const both = await pageThrough({ status: ['pending', 'accepted'], group: 'field', sort: 'name' }, 2);
    expect(both.length).toBe((await listDevices(t.db, { status: ['pending', 'accepted'], group: 'field' })).total);
  });

  it('returns summaries without secrets, and refuses a cursor from another sort', async () => {
    const page = await listDevices(t.db, { limit: 1 });
    const [d] = page.devices;
    expect(Object.keys(d ?? {}).sort()).toEqual(
      [
        'certificateNotAfter',
        'createdAt',
        'facts',
        'group',
        'id',
        'lastSeenAt',
        'name',
        'online',
        'status',
        'tags',
      ].sort(),
    );
    expect(d?.facts).toEqual({ os: 'linux', arch: 'arm64', accelerators: expect.any(Array), agentVersion: '0.1.0' });
    await expect(listDevices(t.db, { sort: 'name', cursor: page.nextCursor })).rejects.toMatchObject({
      code: 'INVALID',
    });
    await expect(listDevices(t.db, { cursor: 'garbage' })).rejects.toMatchObject({ code: 'INVALID' });
  });

  it('sets and removes tags atomically and moves the device between groups', async () => {
    const id = `dev_${'1'.padStart(20, '0')}`;
    const updated = await setDeviceTags(t.db, testOperator, id, {
      set: { rack: 'r7' },
      remove: ['tier'],
      group: 'new-group',
    });
    expect(updated.tags).toEqual({ site: 'berlin', rack: 'r7' });
    expect(updated.group).toBe('new-group');
    expect((await setDeviceTags(t.db, testOperator, id, { group: null })).group).toBeNull();
    await Promise.all([
      setDeviceTags(t.db, testOperator, id, { set: { a: '1' } }),
      setDeviceTags(t.db, testOperator, id, { set: { b: '2' } }),
    ]);
    expect((await getDevice(t.db, id)).tags).toMatchObject({ a: '1', b: '2', rack: 'r7' });
    await expect(setDeviceTags(t.db, testOperator, id, { set: { 'bad key': 'x' } })).rejects.toMatchObject({
      code: 'INVALID',
    });
    await expect(getDevice(t.db, 'dev_missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
