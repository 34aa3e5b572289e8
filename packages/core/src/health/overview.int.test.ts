import { randomBytes } from 'node:crypto';
import type { Db } from '@edgefleet/db/client';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPublishedVersion } from '../rollouts/testing.ts';
import { fleetOverview } from './overview.ts';

const id = (p: string) => `${p}_${randomBytes(6).toString('hex')}`;
const now = new Date('2026-12-01T10:00:00.000Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000);

type DeviceSeed = {
  name: string;
  status?: 'accepted' | 'pending' | 'revoked';
  online?: boolean;
  lastSeenAt?: Date | null;
  groupId?: string;
  tags?: Record<string, string>;
};

async function seedDevices(db: Db, devices: DeviceSeed[]): Promise<Record<string, string>> {
  const rows = devices.map((d) => ({
    id: id('dev'),
    name: d.name,
    status: d.status ?? 'accepted',
    facts: {},
    publicKeyPem: `key ${d.name}`,
    online: d.online ?? false,
    lastSeenAt: d.lastSeenAt === undefined ? ago(30) : d.lastSeenAt,
    groupId: d.groupId ?? null,
    tags: d.tags ?? {},
  }));
  await db.device.createMany({ data: rows });
  return Object.fromEntries(rows.map((r) => [r.name, r.id]));
}

describe.each(testDatabaseKinds())('fleet overview on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is empty for an empty fleet', async () => {
    const o = await fleetOverview(t.db, { now });
    expect(o.generatedAt).toEqual(now);
    expect(o.devices).toEqual({ accepted: 0, online: 0, offline: 0, neverSeen: 0, pending: 0, revoked: 0 });
    expect(o.models).toEqual([]);
    expect(o.rollouts).toEqual({ active: 0, items: [] });
    expect(o.alerts.firingTotal).toBe(0);
    expect(o.groups).toEqual([]);
    expect(o.problems).toEqual({ alerting: [], offline: [] });
  });

  it('counts devices, models in service, active rollouts, open alerts and problems per group', async () => {
    const db = t.db;
    await db.deviceGroup.createMany({
      data: [
        { id: 'grp_lab', name: 'lab' },
        { id: 'grp_empty', name: 'empty' },
        { id: 'grp_berlin', name: 'berlin', selector: { site: 'berlin' } },
      ],
    });
    const d = await seedDevices(db, [
      { name: 'lab-1', groupId: 'grp_lab', online: true, tags: { site: 'berlin' } },
      { name: 'lab-2', groupId: 'grp_lab', online: false, lastSeenAt: ago(600) },
      { name: 'lab-3', groupId: 'grp_lab', online: false, lastSeenAt: null },
      { name: 'free-1', online: true, tags: { site: 'berlin' } },
      { name: 'free-2', online: false, lastSeenAt: ago(60) },
      { name: 'free-3', online: true },
      { name: 'wait-1', status: 'pending', groupId: 'grp_lab' },
      { name: 'wait-2', status: 'pending' },
      // Revoked and online (the broker has not cut it yet): counted as revoked, not online.
      { name: 'gone-1', status: 'revoked', online: true, groupId: 'grp_lab' },
    ]);
    const dev = (name: string) => d[name] as string;

    await db.deviceInstalledModel.createMany({
      data: [
        { deviceId: dev('lab-1'), model: 'detector', servingVersion: '1.0.0' },
        { deviceId: dev('lab-2'), model: 'detector', servingVersion: '1.10.0' },
        { deviceId: dev('free-1'), model: 'detector', servingVersion: '1.10.0' },
        { deviceId: dev('free-1'), model: 'classifier', servingVersion: '2.0.0' },
        // Installing, nothing served yet; and a device no longer in service.
        { deviceId: dev('free-2'), model: 'detector', servingVersion: null, installVersion: '1.10.0' },
        { deviceId: dev('gone-1'), model: 'detector', servingVersion: '1.0.0' },
      ],
    });

    await db.alertRule.create({
      data: {
        id: 'rule_cpu',
        name: 'CPU',
        kind: 'metric',
        metric: 'cpu_percent',
        windowSeconds: 300,
        severity: 'warning',
      },
    });
    const alert = (subjectId: string, state: 'firing' | 'acknowledged' | 'resolved', severity: string, n: number) => ({
      id: id('alr'),
      ruleId: 'rule_cpu',
      subjectType: 'device',
      subjectId,
      deviceId: subjectId,
      state,
      severity,
      summary: 'cpu high',
      openKey: state === 'resolved' ? null : `rule_cpu:device:${subjectId}:${n}`,
      firedAt: ago(100 * n),
    });
    await db.alert.createMany({
      data: [
        alert(dev('lab-1'), 'firing', 'critical', 1),
        alert(dev('lab-1'), 'firing', 'warning', 2),
        alert(dev('lab-2'), 'firing', 'warning', 3),
        alert(dev('free-3'), 'acknowledged', 'warning', 4),
        alert(dev('free-3'), 'resolved', 'critical', 5),
        // A rollout's alert: counted, but on no device.
        { ...alert('ro_x', 'firing', 'info', 6), subjectType: 'rollout', deviceId: null },
      ],
    });

    const v = await seedPublishedVersion(db, { model: 'detector', version: '1.10.0' });
    const rollout = (status: 'running' | 'paused' | 'completed', devices: string[], states: string[]) =>
      db.rollout.create({
        data: {
          id: id('ro'),
          modelId: v.modelId,
          versionId: v.versionId,
          selector: { kind: 'all' },
          strategy: { kind: 'all' },
          gates: { maxFailurePercent: 5, minSuccesses: 0, healthCheckSeconds: 10 },
          onFailure: 'pause',
          stepTimeoutSeconds: 900,
          maxRetries: 2,
          status,
          currentPhase: 0,
          phaseStartedAt: now,
          deviceCount: devices.length,
          devices: {
            create: devices.map((deviceId, i) => ({
              deviceId,
              phase: 0,
              ordinal: i,
              state: states[i] as 'queued',
              stateChangedAt: now,
            })),
          },
        },
      });
    const running = await rollout(
      'running',
      [dev('lab-1'), dev('free-1'), dev('free-3')],
      ['succeeded', 'succeeded', 'downloading'],
    );
    const paused = await rollout('paused', [dev('lab-2')], ['failed']);
    await rollout('completed', [dev('free-2')], ['succeeded']);

    const o = await fleetOverview(db, { now });

    expect(o.devices).toEqual({ accepted: 6, online: 3, offline: 3, neverSeen: 1, pending: 2, revoked: 1 });
    expect(o.models).toEqual([
      { model: 'classifier', version: '2.0.0', devices: 1, online: 1 },
      { model: 'detector', version: '1.10.0', devices: 2, online: 1 },
      { model: 'detector', version: '1.0.0', devices: 1, online: 1 },
    ]);

    expect(o.rollouts.active).toBe(2);
    expect(o.rollouts.items.map((r) => r.id).sort()).toEqual([running.id, paused.id].sort());
    const r = o.rollouts.items.find((x) => x.id === running.id);
    expect(r).toMatchObject({ deviceCount: 3, status: 'running', model: 'detector', version: '1.10.0' });
    expect(r?.counts.succeeded).toBe(2);
    expect(r?.counts.downloading).toBe(1);

    expect(o.alerts).toEqual({
      firing: { critical: 1, warning: 2, info: 1 },
      acknowledged: { critical: 0, warning: 1, info: 0 },
      firingTotal: 4,
      acknowledgedTotal: 1,
    });

    // lab: 3 accepted (lab-1 alerting, lab-2 offline and alerting, lab-3 never seen);
    // berlin (dynamic): lab-1 and free-1 by tag; no group: free-1..3 (free-2 offline).
    expect(o.groups).toEqual([
      { id: 'grp_berlin', name: 'berlin', kind: 'dynamic', devices: 2, offline: 0, alerting: 1, problem: 1 },
      { id: 'grp_empty', name: 'empty', kind: 'static', devices: 0, offline: 0, alerting: 0, problem: 0 },
      { id: 'grp_lab', name: 'lab', kind: 'static', devices: 3, offline: 2, alerting: 2, problem: 3 },
      { id: null, name: null, kind: 'none', devices: 3, offline: 1, alerting: 0, problem: 1 },
    ]);

    // Worst severity first; each device once with its count of firing alerts.
    expect(o.problems.alerting).toEqual([
      {
        id: dev('lab-1'),
        name: 'lab-1',
        group: 'lab',
        online: true,
        lastSeenAt: ago(30),
        firing: 2,
        severity: 'critical',
      },
      {
        id: dev('lab-2'),
        name: 'lab-2',
        group: 'lab',
        online: false,
        lastSeenAt: ago(600),
        firing: 1,
        severity: 'warning',
      },
    ]);
    // Most recently seen first; never-seen devices only counted.
    expect(o.problems.offline).toEqual([
      { id: dev('free-2'), name: 'free-2', group: null, online: false, lastSeenAt: ago(60), firing: 0, severity: null },
      {
        id: dev('lab-2'),
        name: 'lab-2',
        group: 'lab',
        online: false,
        lastSeenAt: ago(600),
        firing: 1,
        severity: 'warning',
      },
    ]);
  });
});
