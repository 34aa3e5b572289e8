import type { Db } from '@edgefleet/db/client';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFleet } from '../rollouts/engine-testing.ts';
import { recordDeviceEvent } from './events.ts';
import { writeDeviceEvents, writeTelemetryBatch } from './ingest.ts';
import { telemetryMessage } from './ingest-testing.ts';

describe.each(testDatabaseKinds())('health ingest writes on %s', (kind) => {
  let t: TestDatabase;
  let db: Db;
  let devices: string[];

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    db = t.db;
    devices = await seedFleet(db, 3);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('writes samples with their inference windows, once per (device, seq)', async () => {
    const [a, b] = devices as [string, string];
    const receivedAt = new Date();
    const first = await writeTelemetryBatch(db, [
      { deviceId: a, receivedAt, telemetry: telemetryMessage(1) },
      { deviceId: a, receivedAt, telemetry: telemetryMessage(2, { inference: [] }) },
      {
        deviceId: b,
        receivedAt,
        telemetry: telemetryMessage(1, { system: { ...telemetryMessage(1).system, temperatureC: undefined } }),
      },
      // the same message twice in one batch, as after a lost PUBACK
      { deviceId: b, receivedAt, telemetry: telemetryMessage(1) },
    ]);
    expect(first).toEqual({ written: 3, duplicates: 1 });
    const again = await writeTelemetryBatch(db, [
      { deviceId: a, receivedAt, telemetry: telemetryMessage(1) },
      { deviceId: a, receivedAt, telemetry: telemetryMessage(3) },
    ]);
    expect(again).toEqual({ written: 1, duplicates: 1 });

    const sample = await db.telemetrySample.findUniqueOrThrow({ where: { deviceId_seq: { deviceId: a, seq: 1 } } });
    expect(sample).toMatchObject({ cpuPercent: 42.5, memoryUsedBytes: 1_000_000, requests: 11, errors: 1, dropped: 2 });
    expect(sample.temperatureC).toBe(55);
    expect(Math.abs(sample.receivedAt.getTime() - receivedAt.getTime())).toBeLessThan(2);
    const noTemp = await db.telemetrySample.findUniqueOrThrow({ where: { deviceId_seq: { deviceId: b, seq: 1 } } });
    expect(noTemp.temperatureC).toBeNull();
    expect(await db.telemetrySample.count()).toBe(4);

    const windows = await db.inferenceSample.findMany({ where: { deviceId: a, seq: 1 }, orderBy: { model: 'asc' } });
    expect(windows.map((w) => [w.model, w.version, w.requests, w.errors])).toEqual([
      ['classifier', '2.1.0', 3, 0],
      ['detector', '1.0.0', 8, 1],
    ]);
    expect(windows[1]?.latencyCounts).toEqual(telemetryMessage(1).inference[0]?.latencyCounts);
    expect(windows[1]?.latencySumMs).toBe(70_003);
    // a: seq 1 (2 windows), 2 (none), 3 (2); b: seq 1 (2, its duplicate added none)
    expect(await db.inferenceSample.count()).toBe(6);
  });

  it('writes events once per (device, seq), control-plane events always, unknown devices skipped', async () => {
    const [, , c] = devices as [string, string, string];
    const ts = new Date('2030-01-01T00:00:00.123Z');
    const event = { deviceId: c, seq: 1, ts, source: 'device' as const, kind: 'install', severity: 'info' as const };
    expect(
      await writeDeviceEvents(db, [
        { ...event, message: 'installed detector 1.0.0', model: 'detector', version: '1.0.0' },
        { ...event, message: 'installed detector 1.0.0 (re-sent)' },
        { ...event, seq: 2, kind: 'error', severity: 'error', message: 'boom' },
        { ...event, seq: null, source: 'gateway', kind: 'connected', message: 'connected' },
        { ...event, seq: null, source: 'gateway', kind: 'connected', message: 'connected' },
        { ...event, deviceId: 'no-such-device', seq: 1, message: 'ghost' },
      ]),
    ).toEqual({ written: 4, duplicates: 2 });
    await recordDeviceEvent(db, {
      ...event,
      seq: null,
      source: 'alert',
      kind: 'alert',
      severity: 'warning',
      message: 'hot',
    });
    const rows = await db.deviceEvent.findMany({ where: { deviceId: c }, orderBy: [{ seq: 'asc' }, { kind: 'asc' }] });
    expect(rows.map((r) => [r.seq, r.source, r.kind, r.message])).toEqual([
      [1, 'device', 'install', 'installed detector 1.0.0'],
      [2, 'device', 'error', 'boom'],
      [null, 'alert', 'alert', 'hot'],
      [null, 'gateway', 'connected', 'connected'],
      [null, 'gateway', 'connected', 'connected'],
    ]);
    expect(rows[0]).toMatchObject({ model: 'detector', version: '1.0.0', ts });
    expect(new Set(rows.map((r) => r.id)).size).toBe(5);
  });

  it('writes a large batch in one go', async () => {
    const [a] = devices as [string];
    const items = Array.from({ length: 2000 }, (_, i) => ({
      deviceId: a,
      receivedAt: new Date(),
      telemetry: telemetryMessage(1000 + i),
    }));
    expect(await writeTelemetryBatch(db, items)).toEqual({ written: 2000, duplicates: 0 });
    expect(await db.inferenceSample.count({ where: { deviceId: a, seq: { gte: 1000 } } })).toBe(4000);
  });
});
