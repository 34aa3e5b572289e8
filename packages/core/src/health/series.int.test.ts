import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { LATENCY_BUCKETS_MS } from '@edgefleet/protocol/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBareDevices } from '../rollouts/testing.ts';
import { deviceSeries } from './series.ts';
import { MEMORY_TOTAL, seedSyntheticTelemetry, syntheticAt } from './series-testing.ts';
import { deviceEvents } from './timeline.ts';

const now = new Date('2026-12-01T10:00:05.000Z');
const lastMinute = Math.floor(now.getTime() / 60_000) * 60_000;

describe.each(testDatabaseKinds())('device series and events on %s', (kind) => {
  let t: TestDatabase;
  let device: string;
  let other: string;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    [device = '', other = ''] = await seedBareDevices(t.db, 2);
    // A week of minute rollups, then 30 minutes of raw samples every 10 s up to now.
    await seedSyntheticTelemetry(t.db, { deviceId: device, now, rawMinutes: 30, rollupDays: 7 });
    // Another device's data must never leak into this one's charts.
    await seedSyntheticTelemetry(t.db, { deviceId: other, now, rawMinutes: 60, rollupDays: 1, errorRate: 0.5 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers the last hour with one point per raw sample', async () => {
    const s = await deviceSeries(t.db, { deviceId: device, range: '1h', now });
    expect(s.resolutionSeconds).toBe(10);
    expect(s.to - s.from).toBe(3_600_000);
    // 30 minutes of samples every 10 s (the rollups before them are not raw).
    expect(s.points).toHaveLength(180);
    const first = s.points[0];
    const f = syntheticAt(first?.t ?? 0);
    expect(first).toEqual({
      t: lastMinute - 30 * 60_000 + 10_000,
      cpuPercent: f.cpuPercent,
      memoryPercent: (f.memoryUsedBytes / MEMORY_TOTAL) * 100,
      temperatureC: f.temperatureC,
      requestsPerSecond: f.rps,
      errorsPerSecond: Math.round(f.rps * 10 * 0.01) / 10,
      latencyP50Ms: 5,
      latencyP95Ms: 25,
    });
    expect(s.points.every((p, i) => i === 0 || p.t > (s.points[i - 1]?.t ?? 0))).toBe(true);
    expect(s.points.at(-1)?.t).toBeLessThanOrEqual(now.getTime());
  });

  it('merges the latency histograms of every model version in a sample', async () => {
    const seq = 10_000;
    const ts = new Date(now.getTime() - 1000);
    await t.db.telemetrySample.create({
      data: {
        deviceId: other,
        seq,
        ts,
        intervalSeconds: 10,
        cpuPercent: 50,
        memoryUsedBytes: 1,
        memoryTotalBytes: 4,
        diskUsedBytes: 0,
        diskTotalBytes: 1,
        temperatureC: null,
        agentRssBytes: 0,
        agentVersion: '0.1.0',
        requests: 100,
        errors: 5,
        dropped: 0,
      },
    });
    const counts = (bound: number, n: number) => {
      const c = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
      c[LATENCY_BUCKETS_MS.indexOf(bound as (typeof LATENCY_BUCKETS_MS)[number])] = n;
      return c;
    };
    await t.db.inferenceSample.createMany({
      data: [
        {
          deviceId: other,
          seq,
          model: 'a',
          version: '1.0.0',
          ts,
          requests: 90,
          errors: 0,
          latencyCounts: counts(1, 90),
          latencySumMs: 90,
        },
        {
          deviceId: other,
          seq,
          model: 'b',
          version: '1.0.0',
          ts,
          requests: 10,
          errors: 5,
          latencyCounts: counts(250, 10),
          latencySumMs: 2500,
        },
      ],
    });
    const s = await deviceSeries(t.db, { deviceId: other, range: '1h', now });
    expect(s.points.at(-1)).toEqual({
      t: ts.getTime(),
      cpuPercent: 50,
      memoryPercent: 25,
      temperatureC: null,
      requestsPerSecond: 10,
      errorsPerSecond: 0.5,
      latencyP50Ms: 1,
      latencyP95Ms: 250,
    });
  });

  it('answers a week with one point per minute from the rollups, the unrolled minutes from raw samples', async () => {
    const started = performance.now();
    const s = await deviceSeries(t.db, { deviceId: device, range: '7d', now });
    const elapsed = performance.now() - started;
    expect(s.resolutionSeconds).toBe(60);
    // Every minute of the week: rollups up to 30 min ago, then 30 minutes folded from raw
    // samples (the rollups start 7 days before the raw ones, so the range clips the oldest).
    expect(s.points.length).toBeGreaterThanOrEqual(7 * 1440 - 1);
    expect(s.points.length).toBeLessThanOrEqual(7 * 1440 + 1);
    expect(s.points.every((p) => p.t % 60_000 === 0)).toBe(true);
    expect(s.points.at(-1)?.t).toBe(lastMinute);

    // A rolled-up minute: averages are sums over samples.
    const rolled = s.points.find((p) => p.t === lastMinute - 3 * 3_600_000);
    const f = syntheticAt(lastMinute - 3 * 3_600_000);
    expect(rolled?.cpuPercent).toBeCloseTo(f.cpuPercent, 6);
    expect(rolled?.temperatureC).toBeCloseTo(f.temperatureC, 6);
    expect(rolled?.requestsPerSecond).toBeCloseTo(f.rps, 6);
    expect(rolled?.latencyP95Ms).toBe(25);

    // A minute from raw samples: the mean of the six whose time falls in it.
    const tail = s.points.find((p) => p.t === lastMinute - 10 * 60_000);
    const six = [0, 1, 2, 3, 4, 5].map((k) => syntheticAt(lastMinute - 10 * 60_000 + k * 10_000));
    expect(tail?.cpuPercent).toBeCloseTo(six.reduce((n, x) => n + x.cpuPercent, 0) / 6, 6);
    expect(tail?.requestsPerSecond).toBeCloseTo(six.reduce((n, x) => n + x.rps * 10, 0) / 60, 6);
    expect(tail?.latencyP50Ms).toBe(5);

    // ~10k rows of rollups plus their histograms, on this 2-core machine.
    expect(elapsed).toBeLessThan(5_000);
  });

  it('answers a day with 1,440 minutes and never counts a rolled-up minute twice', async () => {
    // The rollup job reached the first raw minute: its rollup row wins, raw samples there are not added.
    const minute = new Date(lastMinute - 30 * 60_000);
    await t.db.telemetryRollup.create({
      data: {
        deviceId: device,
        minute,
        samples: 2,
        cpuSum: 10,
        cpuMax: 6,
        memoryUsedSum: MEMORY_TOTAL,
        memoryUsedMax: MEMORY_TOTAL / 2,
        memoryTotalBytes: MEMORY_TOTAL,
        temperatureSum: 0,
        temperatureSamples: 0,
        temperatureMax: null,
        requests: 120,
        errors: 6,
      },
    });
    const s = await deviceSeries(t.db, { deviceId: device, range: '24h', now });
    expect(s.points.length).toBeGreaterThanOrEqual(1440);
    expect(s.points.length).toBeLessThanOrEqual(1441);
    expect(s.points.find((p) => p.t === minute.getTime())).toEqual({
      t: minute.getTime(),
      cpuPercent: 5,
      memoryPercent: 50,
      temperatureC: null,
      requestsPerSecond: 2,
      errorsPerSecond: 0.1,
      latencyP50Ms: null,
      latencyP95Ms: null,
    });
    // The minutes after it still come from the raw samples.
    expect(s.points.filter((p) => p.t > minute.getTime()).length).toBe(30);
  });

  it('takes the last two minutes from raw samples, and rates over the seconds a partial minute covers', async () => {
    const [fresh = ''] = await seedBareDevices(t.db, 1);
    // Samples every 10 s from 5 minutes ago; the current minute (10:00) holds one, at 10:00:00.
    await seedSyntheticTelemetry(t.db, { deviceId: fresh, now, rawMinutes: 5 });
    // The rollup job's row for the previous minute is partial (it folds what arrived ~10 s ago).
    await t.db.telemetryRollup.create({
      data: {
        deviceId: fresh,
        minute: new Date(lastMinute - 60_000),
        samples: 1,
        cpuSum: 99,
        cpuMax: 99,
        memoryUsedSum: 1,
        memoryUsedMax: 1,
        memoryTotalBytes: MEMORY_TOTAL,
        temperatureSum: 0,
        temperatureSamples: 0,
        requests: 1,
        errors: 0,
      },
    });
    const s = await deviceSeries(t.db, { deviceId: fresh, range: '24h', now });
    const previous = s.points.find((p) => p.t === lastMinute - 60_000);
    const six = [0, 1, 2, 3, 4, 5].map((k) => syntheticAt(lastMinute - 60_000 + k * 10_000));
    expect(previous?.cpuPercent).toBeCloseTo(six.reduce((n, x) => n + x.cpuPercent, 0) / 6, 6);
    expect(previous?.requestsPerSecond).toBeCloseTo(six.reduce((n, x) => n + x.rps * 10, 0) / 60, 6);
    const current = s.points.at(-1);
    expect(current?.t).toBe(lastMinute);
    expect(current?.requestsPerSecond).toBe(syntheticAt(lastMinute).rps);
  });

  it('refuses an unknown device', async () => {
    await expect(deviceSeries(t.db, { deviceId: 'nope', range: '1h', now })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(deviceEvents(t.db, { deviceId: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lists events newest first, paging with a cursor', async () => {
    const kinds = ['install', 'rollback', 'connected', 'disconnected', 'alert_firing'];
    await t.db.deviceEvent.createMany({
      data: Array.from({ length: 120 }, (_, i) => ({
        id: `evt_${String(i).padStart(3, '0')}`,
        deviceId: device,
        seq: i % 2 === 0 ? i : null,
        // Pairs share a timestamp: the id breaks the tie.
        ts: new Date(now.getTime() - Math.floor(i / 2) * 60_000),
        source: i % 2 === 0 ? 'device' : 'gateway',
        kind: kinds[i % kinds.length] as string,
        severity: i % 7 === 0 ? 'error' : 'info',
        message: `event ${i}`,
        model: i % 5 === 0 ? 'detector' : null,
        version: i % 5 === 0 ? '1.0.0' : null,
      })),
    });
    await t.db.deviceEvent.create({
      data: {
        id: 'evt_other',
        deviceId: other,
        ts: now,
        source: 'gateway',
        kind: 'connected',
        severity: 'info',
        message: 'x',
      },
    });

    const seen: string[] = [];
    let before: string | null = null;
    for (const expected of [50, 50, 20]) {
      const page = await deviceEvents(t.db, { deviceId: device, limit: 50, before });
      expect(page.items).toHaveLength(expected);
      seen.push(...page.items.map((e) => e.id));
      before = page.nextCursor;
    }
    expect(before).toBeNull();
    expect(new Set(seen).size).toBe(120);
    expect(seen).not.toContain('evt_other');
    // Newest first, and within one timestamp the larger id first.
    expect(seen.slice(0, 4)).toEqual(['evt_001', 'evt_000', 'evt_003', 'evt_002']);

    const [newest] = (await deviceEvents(t.db, { deviceId: device, limit: 1 })).items;
    expect(newest).toMatchObject({
      kind: 'rollback',
      source: 'gateway',
      severity: 'info',
      message: 'event 1',
      model: null,
    });
    await expect(deviceEvents(t.db, { deviceId: device, before: 'garbage' })).rejects.toMatchObject({
      code: 'INVALID',
    });
  });
});
