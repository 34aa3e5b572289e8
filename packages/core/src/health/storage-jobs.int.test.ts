import type { Db } from '@edgefleet/db/client';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedFleet, TestClock } from '../rollouts/engine-testing.ts';
import { histogram, writeSamples } from './jobs-testing.ts';
import { sweepLiveness } from './liveness.ts';
import { runRetention } from './retention.ts';
import { runRollups } from './rollups.ts';

const at = (iso: string) => new Date(iso);

describe.each(testDatabaseKinds())('health storage jobs on %s', (kind) => {
  let t: TestDatabase;
  let db: Db;
  const clock = new TestClock('2030-01-07T12:00:00.000Z');
  const rollups = () => runRollups({ db, now: clock.now, safetySeconds: 5 });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    db = t.db;
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await db.$executeRaw`TRUNCATE "telemetry_samples", "inference_samples", "telemetry_rollups", "inference_rollups", "health_jobs"`;
    clock.set('2030-01-07T12:00:00.000Z');
  });

  const telemetryRollup = (deviceId: string, minute: string) =>
    db.telemetryRollup.findUnique({ where: { deviceId_minute: { deviceId, minute: at(minute) } } });
  const inferenceRollup = (deviceId: string, minute: string) =>
    db.inferenceRollup.findUnique({
      where: { deviceId_model_version_minute: { deviceId, model: 'detector', version: '1.0.0', minute: at(minute) } },
    });

  it('folds samples into their minute, adding latency histograms bucket by bucket', async () => {
    const [dev] = await seedFleet(db, 1);
    await writeSamples(db, dev as string, [
      {
        seq: 1,
        ts: at('2030-01-07T11:58:10Z'),
        cpu: 20,
        memoryPercent: 30,
        temperatureC: 50,
        inference: { requests: 10, errors: 1, latency: { 5: 8, 100: 2 } },
      },
      {
        seq: 2,
        ts: at('2030-01-07T11:58:40Z'),
        cpu: 60,
        memoryPercent: 50,
        inference: { requests: 5, errors: 2, latency: { 5: 1, 100: 3, 99999: 1 } },
      },
      { seq: 3, ts: at('2030-01-07T11:59:05Z'), cpu: 90, memoryPercent: 10 },
    ]);
    const r = await rollups();
    expect(r.telemetryRows).toBe(2);
    const m58 = await telemetryRollup(dev as string, '2030-01-07T11:58:00Z');
    expect(m58).toMatchObject({ samples: 2, cpuSum: 80, cpuMax: 60, requests: 15, errors: 3 });
    expect(m58?.temperatureSamples).toBe(1);
    expect(m58?.temperatureMax).toBe(50);
    expect(m58?.memoryUsedMax).toBe(50_000_000);
    expect((await telemetryRollup(dev as string, '2030-01-07T11:59:00Z'))?.samples).toBe(1);
    const inf = await inferenceRollup(dev as string, '2030-01-07T11:58:00Z');
    expect(inf).toMatchObject({ requests: 15, errors: 3 });
    expect(inf?.latencyCounts).toEqual(histogram({ 5: 9, 100: 5, 99999: 1 }));
  });

  it('adds a late sample (an agent back from offline) into its old minute, and never counts twice', async () => {
    const [dev] = await seedFleet(db, 1);
    const d = dev as string;
    await writeSamples(db, d, [
      { seq: 1, ts: at('2030-01-07T11:50:10Z'), cpu: 10, inference: { requests: 4, errors: 0, latency: { 5: 4 } } },
    ]);
    await rollups();
    // Running again with nothing new changes nothing.
    clock.advance(60);
    await rollups();
    expect((await telemetryRollup(d, '2030-01-07T11:50:00Z'))?.samples).toBe(1);

    // The device was offline: it sends a sample for 11:50 now, received now.
    clock.advance(60);
    await writeSamples(db, d, [
      {
        seq: 2,
        ts: at('2030-01-07T11:50:40Z'),
        receivedAt: clock.now(),
        cpu: 30,
        inference: { requests: 6, errors: 3, latency: { 5: 1, 25: 5 } },
      },
    ]);
    // Still inside the safety margin: left for the next run, not skipped.
    await rollups();
    expect((await telemetryRollup(d, '2030-01-07T11:50:00Z'))?.samples).toBe(1);
    clock.advance(10);
    await rollups();
    clock.advance(60);
    await rollups();
    expect(await telemetryRollup(d, '2030-01-07T11:50:00Z')).toMatchObject({ samples: 2, cpuSum: 40, cpuMax: 30 });
    const inf = await inferenceRollup(d, '2030-01-07T11:50:00Z');
    expect(inf).toMatchObject({ requests: 10, errors: 3 });
    expect(inf?.latencyCounts).toEqual(histogram({ 5: 5, 25: 5 }));
  });

  it('takes a sample that became visible late (stamped before the watermark moved) exactly once', async () => {
    const [dev] = await seedFleet(db, 1);
    const d = dev as string;
    await rollups(); // watermark: now − 5 s
    // A writer stamped receivedAt 3 s ago but commits only now: inside the safety margin.
    await writeSamples(db, d, [
      { seq: 1, ts: at('2030-01-07T11:59:50Z'), receivedAt: new Date(clock.now().getTime() - 3000), cpu: 50 },
    ]);
    clock.advance(30);
    await rollups();
    await rollups();
    expect((await telemetryRollup(d, '2030-01-07T11:59:00Z'))?.samples).toBe(1);
  });

  it('works off a backlog in bounded steps, skipping empty stretches at once', async () => {
    const [dev] = await seedFleet(db, 1);
    const d = dev as string;
    await writeSamples(db, d, [
      { seq: 1, ts: at('2030-01-01T00:00:05Z'), cpu: 1 },
      { seq: 2, ts: at('2030-01-01T00:30:05Z'), cpu: 1 },
    ]);
    const run = () => runRollups({ db, now: clock.now, safetySeconds: 5, maxSpanSeconds: 600 });
    expect((await run()).telemetryRows).toBe(1); // the first stretch, starting at the oldest sample
    expect((await run()).telemetryRows).toBe(1); // skipped straight to the next sample
    expect((await run()).telemetryRows).toBe(0);
  });

  it('deletes past retention in chunks, and keeps what is younger', async () => {
    const [dev] = await seedFleet(db, 1);
    const d = dev as string;
    const now = clock.now();
    const daysAgo = (n: number) => new Date(now.getTime() - n * 86_400_000);
    await writeSamples(db, d, [
      ...Array.from({ length: 25 }, (_, i) => ({ seq: i, ts: daysAgo(8), inference: { requests: 1, errors: 0 } })),
      { seq: 100, ts: daysAgo(6), inference: { requests: 1, errors: 0 } },
    ]);
    await db.telemetryRollup.createMany({
      data: [daysAgo(91), daysAgo(89)].map((minute) => ({
        deviceId: d,
        minute,
        samples: 1,
        cpuSum: 1,
        cpuMax: 1,
        memoryUsedSum: 1,
        memoryUsedMax: 1,
        memoryTotalBytes: 1,
        temperatureSum: 0,
        temperatureSamples: 0,
        requests: 0,
        errors: 0,
      })),
    });
    await db.deviceEvent.createMany({
      data: [91, 89].map((n) => ({
        id: `ev-${n}-${d}`,
        deviceId: d,
        ts: daysAgo(n),
        receivedAt: daysAgo(n),
        source: 'gateway',
        kind: 'connected',
        severity: 'info',
        message: 'x',
      })),
    });
    const hook = await db.webhook.create({
      data: { id: `wh-ret-${d}`, name: 'r', url: 'http://127.0.0.1:1/', format: 'json', secretEnc: 'x' },
    });
    await db.webhookDelivery.createMany({
      data: [
        {
          id: `d1-${d}`,
          webhookId: hook.id,
          event: 'webhook.test',
          body: '{}',
          status: 'delivered',
          createdAt: daysAgo(31),
        },
        {
          id: `d2-${d}`,
          webhookId: hook.id,
          event: 'webhook.test',
          body: '{}',
          status: 'pending',
          createdAt: daysAgo(31),
        },
        {
          id: `d3-${d}`,
          webhookId: hook.id,
          event: 'webhook.test',
          body: '{}',
          status: 'failed',
          createdAt: daysAgo(29),
        },
      ],
    });

    const r = await runRetention({ db, now: clock.now, rawDays: 7, rollupDays: 90, chunk: 10 });
    expect(r).toMatchObject({
      telemetrySamples: 25,
      inferenceSamples: 25,
      telemetryRollups: 1,
      deliveries: 1,
      complete: true,
    });
    expect(await db.telemetrySample.count({ where: { deviceId: d } })).toBe(1);
    expect(await db.inferenceSample.count({ where: { deviceId: d } })).toBe(1);
    expect(await db.telemetryRollup.count({ where: { deviceId: d } })).toBe(1);
    expect(await db.deviceEvent.count({ where: { deviceId: d } })).toBe(1);
    // A pending delivery is kept however old: it is still being retried.
    expect((await db.webhookDelivery.findMany({ where: { webhookId: hook.id } })).map((x) => x.status).sort()).toEqual([
      'failed',
      'pending',
    ]);
    // Configurable: with 5 raw days the 6-day-old sample goes too.
    await runRetention({ db, now: clock.now, rawDays: 5, rollupDays: 90 });
    expect(await db.telemetrySample.count({ where: { deviceId: d } })).toBe(0);
  });

  it('sets devices offline after three missed heartbeats, with a disconnected event, and leaves live ones', async () => {
    const devices = await seedFleet(db, 3);
    const [stale, fresh, already] = devices as [string, string, string];
    const now = clock.now();
    await db.device.update({
      where: { id: stale },
      data: { online: true, lastSeenAt: new Date(now.getTime() - 91_000) },
    });
    await db.device.update({
      where: { id: fresh },
      data: { online: true, lastSeenAt: new Date(now.getTime() - 60_000) },
    });
    await db.device.update({
      where: { id: already },
      data: { online: false, lastSeenAt: new Date(now.getTime() - 600_000) },
    });
    const r = await sweepLiveness({ db, now: clock.now });
    expect(r.offline).toContain(stale);
    expect(r.offline).not.toContain(fresh);
    expect(r.offline).not.toContain(already);
    const rows = await db.device.findMany({ where: { id: { in: devices } }, select: { id: true, online: true } });
    expect(Object.fromEntries(rows.map((x) => [x.id, x.online]))).toEqual({
      [stale]: false,
      [fresh]: true,
      [already]: false,
    });
    const events = await db.deviceEvent.findMany({ where: { deviceId: { in: devices } } });
    expect(events.map((e) => [e.deviceId, e.kind, e.source])).toEqual([[stale, 'disconnected', 'gateway']]);
    // Idempotent: a second sweep finds nothing more.
    expect((await sweepLiveness({ db, now: clock.now })).offline.filter((id) => devices.includes(id))).toEqual([]);
  });
});
