import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import type { TModelReport, TRolloutDeviceState, TStateReport } from '@edgefleet/protocol/rollout';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePublisherKey } from '../registry/testing.ts';
import { applyStateReport, retryBackoffMs } from './reports.ts';
import { type SeededVersion, seedBareDevices, seedPublishedVersion } from './testing.ts';

const report = (...models: TModelReport[]): TStateReport => ({
  v: 1,
  ts: new Date().toISOString(),
  instructionVersion: 3,
  models,
});
const install = (step: NonNullable<TModelReport['install']>['step'], attempt = 0, more = {}): TModelReport => ({
  model: 'detector',
  install: { version: '1.1.0', step, attempt, ...more },
});

describe.each(testDatabaseKinds())('state reports on %s', (kind) => {
  let t: TestDatabase;
  let v1: SeededVersion;
  let v2: SeededVersion;
  const now = new Date('2026-12-01T10:00:00.000Z');

  /** A rollout of detector 1.1.0 with one row per device, replacing 1.0.0. */
  async function rollout(
    states: TRolloutDeviceState[],
    opts: { status?: 'running' | 'completed'; finishedAt?: Date; maxRetries?: number; attempts?: number } = {},
  ) {
    const devices = await seedBareDevices(t.db, states.length);
    const id = `ro_${randomBytes(8).toString('hex')}`;
    await t.db.rollout.create({
      data: {
        id,
        modelId: v2.modelId,
        versionId: v2.versionId,
        selector: { kind: 'devices', deviceIds: devices },
        strategy: { kind: 'all' },
        gates: { maxFailurePercent: 5, minSuccesses: 0, healthCheckSeconds: 10 },
        onFailure: 'pause',
        stepTimeoutSeconds: 900,
        maxRetries: opts.maxRetries ?? 2,
        status: opts.status ?? 'running',
        finishedAt: opts.finishedAt ?? null,
        currentPhase: 0,
        phaseStartedAt: now,
        deviceCount: devices.length,
        devices: {
          create: devices.map((deviceId, i) => ({
            deviceId,
            phase: 0,
            ordinal: i,
            state: states[i] ?? 'queued',
            shadow: states[i] === 'shadowing',
            attempts: opts.attempts ?? 0,
            previousVersionId: v1.versionId,
            artifactPath: v2.artifacts[0]?.path,
            stateChangedAt: new Date(now.getTime() - 60_000),
          })),
        },
      },
    });
    const row = (deviceId: string) =>
      t.db.rolloutDevice.findUniqueOrThrow({ where: { rolloutId_deviceId: { rolloutId: id, deviceId } } });
    return { id, devices, row };
  }

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    const publisher = makePublisherKey();
    v1 = await seedPublishedVersion(t.db, { publisher, version: '1.0.0' });
    v2 = await seedPublishedVersion(t.db, { publisher, version: '1.1.0' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('moves a device forward through the install steps, never back', async () => {
    const { devices, row } = await rollout(['notified']);
    const [device] = devices;
    if (!device) throw new Error('no device');
    for (const step of ['downloading', 'verifying', 'installing', 'health_check', 'succeeded'] as const) {
      await applyStateReport(t.db, device, report(install(step, 0, { reason: `at ${step}` })), now);
      expect(await row(device)).toMatchObject({ state: step, reason: `at ${step}`, stateChangedAt: now });
    }
    const later = new Date(now.getTime() + 1000);
    await applyStateReport(t.db, device, report(install('downloading')), later);
    await applyStateReport(t.db, device, report(install('failed', 0, { retryable: false })), later);
    expect(await row(device)).toMatchObject({ state: 'succeeded', stateChangedAt: now });
    // The agent's crash-loop revert after success does count.
    await applyStateReport(t.db, device, report(install('rolled_back', 0, { reason: 'crash loop' })), later);
    expect(await row(device)).toMatchObject({ state: 'rolled_back', reason: 'crash loop' });
  });

  it('ignores steps of an older attempt and of other versions', async () => {
    const { devices, row } = await rollout(['notified', 'notified'], { attempts: 1 });
    const [device, other] = devices;
    if (!device || !other) throw new Error('no device');
    await applyStateReport(t.db, device, report(install('failed', 0)), now);
    await applyStateReport(t.db, device, report(install('downloading', 0)), now);
    expect(await row(device)).toMatchObject({ state: 'notified', attempts: 1 });
    await applyStateReport(t.db, device, report(install('downloading', 1)), now);
    expect(await row(device)).toMatchObject({ state: 'downloading', attempts: 1 });

    await applyStateReport(
      t.db,
      other,
      report({ model: 'detector', install: { version: '1.0.0', step: 'succeeded', attempt: 1 } }),
      now,
    );
    await applyStateReport(t.db, other, report({ ...install('succeeded', 1), model: 'classifier' }), now);
    expect(await row(other)).toMatchObject({ state: 'notified' });
  });

  it('queues a failed install for retry with backoff, then fails it after maxRetries', async () => {
    const { devices, row } = await rollout(['downloading'], { maxRetries: 2 });
    const [device] = devices;
    if (!device) throw new Error('no device');
    await applyStateReport(t.db, device, report(install('failed', 0, { reason: 'disk full' })), now);
    expect(await row(device)).toMatchObject({
      state: 'queued',
      attempts: 1,
      nextAttemptAt: new Date(now.getTime() + retryBackoffMs(0)),
      reason: 'retry 1 of 2 after: disk full',
    });
    // The same report again (a reconnect) is stale now.
    await applyStateReport(t.db, device, report(install('failed', 0, { reason: 'disk full' })), now);
    expect((await row(device)).attempts).toBe(1);

    await applyStateReport(t.db, device, report(install('downloading', 1)), now);
    await applyStateReport(t.db, device, report(install('failed', 1, { reason: 'timeout' })), now);
    expect(await row(device)).toMatchObject({
      state: 'queued',
      attempts: 2,
      nextAttemptAt: new Date(now.getTime() + retryBackoffMs(1)),
    });
    expect(retryBackoffMs(1)).toBeGreaterThan(retryBackoffMs(0));

    await applyStateReport(t.db, device, report(install('failed', 2, { reason: 'timeout again' })), now);
    expect(await row(device)).toMatchObject({
      state: 'failed',
      attempts: 2,
      reason: 'timeout again',
      nextAttemptAt: null,
    });
  });

  it('fails at once when retrying cannot help', async () => {
    const { devices, row } = await rollout(['verifying']);
    const [device] = devices;
    if (!device) throw new Error('no device');
    await applyStateReport(
      t.db,
      device,
      report(install('failed', 0, { retryable: false, reason: 'signature invalid' })),
      now,
    );
    expect(await row(device)).toMatchObject({ state: 'failed', attempts: 0, reason: 'signature invalid' });
  });

  it('never moves a device out of cancelled or skipped, and only records figures while shadowing', async () => {
    const { devices, row } = await rollout(['cancelled', 'skipped', 'shadowing']);
    const [cancelled, skipped, shadowing] = devices;
    if (!cancelled || !skipped || !shadowing) throw new Error('no device');
    for (const device of [cancelled, skipped]) {
      await applyStateReport(t.db, device, report(install('succeeded')), now);
      await applyStateReport(t.db, device, report(install('rolled_back')), now);
    }
    expect(await row(cancelled)).toMatchObject({ state: 'cancelled', metrics: null });
    expect(await row(skipped)).toMatchObject({ state: 'skipped', metrics: null });

    const shadow = { version: '1.1.0', samples: 40, agreement: 0.95, errors: 0, candidateP95Ms: 12 };
    await applyStateReport(
      t.db,
      shadowing,
      report({
        model: 'detector',
        serving: { version: '1.0.0', slot: 'a', since: now.toISOString() },
        install: { version: '1.1.0', step: 'succeeded', attempt: 0 },
        shadow,
      }),
      now,
    );
    expect(await row(shadowing)).toMatchObject({ state: 'shadowing', metrics: { shadow } });
  });

  it('stores the figures the gates read, merged over earlier ones', async () => {
    const { devices, row } = await rollout(['health_check']);
    const [device] = devices;
    if (!device) throw new Error('no device');
    const candidate = { version: '1.1.0', requests: 100, errors: 2, p50Ms: 3, p95Ms: 9.5 };
    const previous = { version: '1.0.0', requests: 80, errors: 0, p95Ms: 8 };
    await applyStateReport(
      t.db,
      device,
      report({
        model: 'detector',
        serving: { version: '1.1.0', slot: 'b', since: now.toISOString() },
        previous: { version: '1.0.0', slot: 'a' },
        install: { version: '1.1.0', step: 'succeeded', attempt: 0 },
        stats: [candidate, previous, { version: '0.9.0', requests: 1, errors: 1 }],
        restarts: 1,
      }),
      now,
    );
    expect(await row(device)).toMatchObject({ state: 'succeeded', metrics: { candidate, previous, restarts: 1 } });
    await applyStateReport(
      t.db,
      device,
      report({
        model: 'detector',
        serving: { version: '1.1.0', slot: 'b', since: now.toISOString() },
        stats: [{ ...candidate, requests: 200 }],
      }),
      now,
    );
    expect((await row(device)).metrics).toEqual({ candidate: { ...candidate, requests: 200 }, previous, restarts: 1 });
  });

  it('counts late reports for a rollout finished within 24 hours, not older ones', async () => {
    const recent = await rollout(['notified'], { status: 'completed', finishedAt: new Date(now.getTime() - 3600_000) });
    const old = await rollout(['notified'], {
      status: 'completed',
      finishedAt: new Date(now.getTime() - 25 * 3600_000),
    });
    for (const r of [recent, old]) {
      const [device] = r.devices;
      if (device) await applyStateReport(t.db, device, report(install('succeeded')), now);
    }
    expect((await recent.row(recent.devices[0] ?? '')).state).toBe('succeeded');
    expect((await old.row(old.devices[0] ?? '')).state).toBe('notified');
  });

  it('records what each device runs, and forgets models it no longer reports', async () => {
    const [device] = await seedBareDevices(t.db, 1);
    if (!device) throw new Error('no device');
    await applyStateReport(
      t.db,
      device,
      report(
        {
          model: 'detector',
          serving: { version: '1.1.0', slot: 'b', since: now.toISOString() },
          previous: { version: '1.0.0', slot: 'a' },
          install: { version: '1.1.0', step: 'succeeded', attempt: 0, reason: 'healthy' },
        },
        { model: 'classifier', serving: { version: '2.0.0', slot: 'a', since: now.toISOString() } },
      ),
      now,
    );
    const installed = () =>
      t.db.deviceInstalledModel.findMany({
        where: { deviceId: device },
        orderBy: { model: 'asc' },
        select: {
          model: true,
          servingVersion: true,
          previousVersion: true,
          shadowVersion: true,
          installVersion: true,
          installStep: true,
          installReason: true,
        },
      });
    expect(await installed()).toEqual([
      {
        model: 'classifier',
        servingVersion: '2.0.0',
        previousVersion: null,
        shadowVersion: null,
        installVersion: null,
        installStep: null,
        installReason: null,
      },
      {
        model: 'detector',
        servingVersion: '1.1.0',
        previousVersion: '1.0.0',
        shadowVersion: null,
        installVersion: '1.1.0',
        installStep: 'succeeded',
        installReason: 'healthy',
      },
    ]);
    await applyStateReport(
      t.db,
      device,
      report({ model: 'detector', serving: { version: '1.0.0', slot: 'a', since: now.toISOString() } }),
      now,
    );
    expect(await installed()).toEqual([
      expect.objectContaining({ model: 'detector', servingVersion: '1.0.0', previousVersion: null, installStep: null }),
    ]);
    await applyStateReport(t.db, device, report(), now);
    expect(await installed()).toEqual([]);
  });
});
