import { seedSyntheticTelemetry } from '@edgefleet/core/health/series-testing';
import { seedBareDevices } from '@edgefleet/core/rollouts/testing';
import { createTestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, createTestPki } from './test/harness.ts';

describe.each(testDatabaseKinds())('health procedures on %s', (kind) => {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let h: ReturnType<typeof createApiHarness>;
  let viewer: { cookie: string };
  let noHealth: { token: string };
  let device: string;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    h = createApiHarness(t.db, await createTestPki(t.db));
    const v = await h.makeUser('viewer');
    viewer = { cookie: (await h.signIn(v.email, v.password)).cookie };
    noHealth = { token: await h.makeToken(v, ['devices:read']) };
    [device = ''] = await seedBareDevices(t.db, 1);
    await seedSyntheticTelemetry(t.db, { deviceId: device, now: new Date(), rawMinutes: 10 });
    await t.db.deviceEvent.create({
      data: {
        id: 'e1',
        deviceId: device,
        ts: new Date(),
        source: 'device',
        kind: 'install',
        severity: 'info',
        message: 'installed',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lets a viewer read the overview, a device series as columns and its events', async () => {
    const o = await h.call('health.overview', undefined, viewer, 'query');
    expect(o.status).toBe(200);
    expect(o.data.devices).toMatchObject({ accepted: 1, online: 0 });

    const s = await h.call('health.series', { deviceId: device, range: '1h' }, viewer, 'query');
    expect(s.status).toBe(200);
    expect(s.data.resolutionSeconds).toBe(10);
    expect(s.data.t.length).toBeGreaterThanOrEqual(59);
    for (const col of ['cpuPercent', 'memoryPercent', 'temperatureC', 'requestsPerSecond', 'latencyP95Ms']) {
      expect(s.data[col]).toHaveLength(s.data.t.length);
    }
    expect(s.data.latencyP95Ms[0]).toBe(25);

    const e = await h.call('health.events', { deviceId: device }, viewer, 'query');
    expect(e.data.items).toHaveLength(1);
    expect(e.data.items[0]).toMatchObject({ kind: 'install', message: 'installed' });
  });

  it('refuses a token without health:read, bad input and unknown devices', async () => {
    expect((await h.call('health.overview', undefined, noHealth, 'query')).status).toBe(403);
    expect((await h.call('health.series', { deviceId: device, range: '30d' }, viewer, 'query')).status).toBe(400);
    expect((await h.call('health.series', { deviceId: 'nope', range: '1h' }, viewer, 'query')).status).toBe(404);
    expect((await h.call('health.events', { deviceId: device, cursor: 'x' }, viewer, 'query')).status).toBe(400);
  });
});
