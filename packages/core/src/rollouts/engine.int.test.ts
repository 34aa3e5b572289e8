import type { Db } from '@edgefleet/db/client';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import type { TCreateRollout } from '@edgefleet/protocol/rollout';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testAdmin } from '../registry/testing.ts';
import { resumeRollout } from './actions.ts';
import { runEngineTick } from './engine.ts';
import { OFFLINE_REASON } from './engine-state.ts';
import { deviceStates, reportInstall, seedFleet, stateCounts, TestClock } from './engine-testing.ts';
import { createRollout } from './plan.ts';
import { applyStateReport } from './reports.ts';
import { type SeededVersion, seedPublishedVersion } from './testing.ts';

type Plan = Omit<TCreateRollout, 'model' | 'version' | 'selector'>;

describe.each(testDatabaseKinds())('rollout engine on %s', (kind) => {
  let t: TestDatabase;
  let db: Db;
  const clock = new TestClock();
  // A new deps object per call: the engine keeps nothing in memory between ticks.
  const tick = () => runEngineTick({ db, now: clock.now });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    db = t.db;
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(async () => {
    // Ticks run every running rollout; each test's rollout must not outlive it.
    await db.rollout.updateMany({ where: { status: { in: ['running', 'paused'] } }, data: { status: 'aborted' } });
    clock.set('2030-01-07T12:00:00.000Z');
  });

  interface Fleet {
    model: string;
    v1: SeededVersion;
    v2: SeededVersion;
    devices: string[];
  }

  /** A model with 1.0.0 and 2.0.0, and `n` online devices; `previous` devices already desire 1.0.0. */
  async function fleet(
    model: string,
    n: number,
    opts: { previous?: number; variants?: SeededVersion['artifacts'][number]['custom'][] } = {},
  ): Promise<Fleet> {
    const v1 = await seedPublishedVersion(db, { model, version: '1.0.0' });
    const v2 = await seedPublishedVersion(db, {
      model,
      version: '2.0.0',
      publisher: v1.publisher,
      ...(opts.variants ? { variants: opts.variants } : {}),
    });
    const devices = await seedFleet(db, n, { prefix: model });
    const previous = devices.slice(0, opts.previous ?? 0);
    if (previous.length) {
      await db.deviceDesiredModel.createMany({
        data: previous.map((deviceId) => ({
          deviceId,
          modelId: v1.modelId,
          versionId: v1.versionId,
          artifactPath: v1.artifacts[0]?.path ?? '',
        })),
      });
    }
    return { model, v1, v2, devices };
  }

  const start = async (f: Fleet, plan: Plan = {}, devices = f.devices) =>
    (
      await createRollout({ db, now: clock.now }, testAdmin, {
        model: f.model,
        version: '2.0.0',
        selector: { kind: 'devices', deviceIds: devices },
        ...plan,
      })
    ).id;

  const report = (
    f: Fleet,
    deviceId: string,
    step: 'downloading' | 'installing' | 'health_check' | 'succeeded' | 'failed',
    attempt = 0,
    retryable?: boolean,
  ) =>
    reportInstall(
      db,
      deviceId,
      f.model,
      { version: '2.0.0', step, attempt, ...(retryable === undefined ? {} : { retryable }) },
      clock.now(),
    );
  const rollout = (id: string) => db.rollout.findUniqueOrThrow({ where: { id } });
  const desired = (f: Fleet, deviceId: string) =>
    db.deviceDesiredModel.findUnique({ where: { deviceId_modelId: { deviceId, modelId: f.v1.modelId } } });
  const devicesIn = async (id: string, phase: number) =>
    (
      await db.rolloutDevice.findMany({
        where: { rolloutId: id, phase },
        orderBy: { ordinal: 'asc' },
        select: { deviceId: true },
      })
    ).map((d) => d.deviceId);
  const inState = async (id: string, state: string) =>
    [...(await deviceStates(db, id))].filter(([, s]) => s === state).map(([d]) => d);
  const setOnline = (ids: string[], online: boolean) =>
    db.device.updateMany({ where: { id: { in: ids } }, data: { online } });
  const events = async (id: string) =>
    (await db.rolloutEvent.findMany({ where: { rolloutId: id }, orderBy: [{ at: 'asc' }, { id: 'asc' }] })).map(
      (e) => e.kind,
    );

  it('advances phases 10/50/100 only after each soak and minSuccesses; offline devices do not hold a phase', async () => {
    const f = await fleet('eng-phases', 10);
    const id = await start(f, {
      strategy: {
        kind: 'phases',
        phases: [
          { percent: 10, soakSeconds: 600 },
          { percent: 50, soakSeconds: 600 },
          { percent: 100, soakSeconds: 0 },
        ],
      },
      gates: { maxFailurePercent: 5, minSuccesses: 3 },
    });
    expect((await tick()).notified).toBe(1);
    expect((await tick()).notified).toBe(0);
    const [first] = await devicesIn(id, 0);
    expect(await stateCounts(db, id)).toEqual({ notified: 1, queued: 9 });
    await report(f, first ?? '', 'succeeded');
    await tick();
    expect(await rollout(id)).toMatchObject({ currentPhase: 0, phaseDoneAt: clock.now() });
    clock.advance(599);
    await tick();
    expect((await rollout(id)).currentPhase).toBe(0);
    clock.advance(1);
    expect((await tick()).notified).toBe(4);
    expect((await rollout(id)).currentPhase).toBe(1);

    // Phase 2 of 4: two succeed, two go offline mid-install.
    const second = await devicesIn(id, 1);
    await report(f, second[0] ?? '', 'succeeded');
    await report(f, second[1] ?? '', 'succeeded');
    await setOnline(second.slice(2), false);
    await tick();
    clock.advance(3600);
    await tick();
    // All four are done or offline, but only two succeeded: minSuccesses (3) holds the phase.
    expect(await rollout(id)).toMatchObject({
      currentPhase: 1,
      phaseDoneAt: null,
      statusReason: 'waiting for 1 more successes in phase 2 (minSuccesses); 2 devices offline',
    });
    expect((await deviceStates(db, id)).get(second[2] ?? '')).toBe('notified');
    // One returns and succeeds; the last stays offline and no longer holds the phase.
    await setOnline([second[2] ?? ''], true);
    await report(f, second[2] ?? '', 'succeeded');
    await tick();
    const doneAt = (await rollout(id)).phaseDoneAt;
    expect(doneAt).toEqual(clock.now());
    clock.advance(600);
    expect((await tick()).notified).toBe(5);
    for (const d of await devicesIn(id, 2)) await report(f, d, 'succeeded');
    await tick();
    expect(await rollout(id)).toMatchObject({
      status: 'completed',
      statusReason: expect.stringContaining('1 devices were offline'),
    });
    expect(await stateCounts(db, id)).toEqual({ succeeded: 9, notified: 1 });
    expect(await events(id)).toEqual([
      'created',
      'phase_passed',
      'phase_started',
      'phase_passed',
      'phase_started',
      'completed',
    ]);
  });

  it('continues exactly after a restart: no device notified twice, the phase and its soak kept', async () => {
    const f = await fleet('eng-restart', 6);
    const id = await start(f, {
      maxConcurrent: 2,
      strategy: {
        kind: 'phases',
        phases: [
          { percent: 50, soakSeconds: 300 },
          { percent: 100, soakSeconds: 0 },
        ],
      },
    });
    await tick();
    const snapshot = async () => ({
      rows: await db.rolloutDevice.findMany({
        where: { rolloutId: id },
        orderBy: { deviceId: 'asc' },
        select: { deviceId: true, state: true, notifiedAt: true, stateChangedAt: true, attempts: true },
      }),
      desired: await db.deviceDesiredModel.findMany({
        where: { modelId: f.v1.modelId },
        orderBy: { deviceId: 'asc' },
        select: { deviceId: true, updatedAt: true, attempt: true },
      }),
      instructions: await db.deviceInstruction.findMany({
        where: { deviceId: { in: f.devices } },
        orderBy: { deviceId: 'asc' },
        select: { deviceId: true, version: true },
      }),
      rollout: await db.rollout.findUniqueOrThrow({
        where: { id },
        select: { currentPhase: true, phaseStartedAt: true, phaseDoneAt: true, status: true },
      }),
      events: await db.rolloutEvent.count({ where: { rolloutId: id } }),
    });
    const before = await snapshot();
    expect(before.rows.filter((r) => r.state === 'notified')).toHaveLength(2);
    expect(before.instructions).toHaveLength(2);
    // "Restart": a fresh engine, later, over the same database.
    clock.advance(30);
    expect(await runEngineTick({ db, now: clock.now })).toEqual({ rollouts: 1, notified: 0 });
    expect(await snapshot()).toEqual(before);

    // One finishes: the fresh engine fills its slot with the queued device of the phase, and
    // leaves the one still installing alone.
    const [done, installing] = await inState(id, 'notified');
    await report(f, done ?? '', 'succeeded');
    clock.advance(10);
    expect((await runEngineTick({ db, now: clock.now })).notified).toBe(1);
    const row = (deviceId: string) =>
      db.rolloutDevice.findUniqueOrThrow({ where: { rolloutId_deviceId: { rolloutId: id, deviceId } } });
    const was = before.rows.find((r) => r.deviceId === installing);
    expect((await row(installing ?? '')).notifiedAt).toEqual(was?.notifiedAt);
    expect((await db.deviceInstruction.findUniqueOrThrow({ where: { deviceId: installing ?? '' } })).version).toBe(1);

    const phase0 = await devicesIn(id, 0);
    for (const d of phase0) await report(f, d, 'succeeded');
    await tick();
    const soakFrom = clock.now();
    clock.advance(200);
    await runEngineTick({ db, now: clock.now });
    expect(await rollout(id)).toMatchObject({ currentPhase: 0, phaseDoneAt: soakFrom });
    clock.advance(100);
    expect((await runEngineTick({ db, now: clock.now })).notified).toBe(2);
    expect((await rollout(id)).currentPhase).toBe(1);
    const versions = await db.deviceInstruction.findMany({
      where: { deviceId: { in: phase0 } },
      select: { version: true },
    });
    expect(versions.map((v) => v.version)).toEqual([1, 1, 1]);
  });

  it('does not time out an offline device; its step clock restarts when it returns, and it completes after it reports', async () => {
    const f = await fleet('eng-offline', 3);
    const id = await start(f, {
      stepTimeoutSeconds: 60,
      strategy: {
        kind: 'phases',
        phases: [
          { count: 2, soakSeconds: 7200 },
          { percent: 100, soakSeconds: 0 },
        ],
      },
    });
    const [online, away] = await devicesIn(id, 0);
    if (!online || !away) throw new Error('two devices in phase 1');
    await setOnline([away], false);
    expect((await tick()).notified).toBe(2);
    // The desired state is written for the offline device too: it fetches it when it returns.
    expect((await desired(f, away))?.versionId).toBe(f.v2.versionId);
    await report(f, online, 'succeeded');
    await tick();
    clock.advance(3600);
    await tick();
    expect(
      await db.rolloutDevice.findUnique({ where: { rolloutId_deviceId: { rolloutId: id, deviceId: away } } }),
    ).toMatchObject({
      state: 'notified',
      reason: OFFLINE_REASON,
    });
    expect((await rollout(id)).currentPhase).toBe(0);

    await setOnline([away], true);
    await tick();
    clock.advance(30);
    await tick();
    expect(
      await db.rolloutDevice.findUnique({ where: { rolloutId_deviceId: { rolloutId: id, deviceId: away } } }),
    ).toMatchObject({
      state: 'notified',
      reason: null,
    });
    await report(f, away, 'succeeded');
    // Its return reopened the phase; the soak runs again from now.
    await tick();
    clock.advance(7200);
    expect((await tick()).notified).toBe(1);
    const [last] = await devicesIn(id, 1);
    await report(f, last ?? '', 'succeeded');
    await tick();
    expect((await rollout(id)).status).toBe('completed');
    expect(await stateCounts(db, id)).toEqual({ succeeded: 3 });
  });

  it('completes with an offline device, which still counts when it reports later', async () => {
    const f = await fleet('eng-late', 2);
    const id = await start(f, { stepTimeoutSeconds: 60 });
    await setOnline([f.devices[1] ?? ''], false);
    await tick();
    await report(f, f.devices[0] ?? '', 'succeeded');
    clock.advance(86_000);
    await tick();
    expect(await rollout(id)).toMatchObject({ status: 'completed' });
    expect(await stateCounts(db, id)).toEqual({ succeeded: 1, notified: 1 });
    await setOnline([f.devices[1] ?? ''], true);
    await report(f, f.devices[1] ?? '', 'succeeded');
    expect(await stateCounts(db, id)).toEqual({ succeeded: 2 });
  });

  it('times out online devices stuck in one step', async () => {
    const f = await fleet('eng-timeout', 2);
    const id = await start(f, { stepTimeoutSeconds: 60, gates: { maxFailurePercent: 100, minSuccesses: 0 } });
    const [a, b] = f.devices;
    await tick();
    clock.advance(30);
    await report(f, a ?? '', 'downloading');
    clock.advance(31);
    await tick();
    expect(await deviceStates(db, id)).toEqual(
      new Map([
        [a, 'downloading'],
        [b, 'timed_out'],
      ]),
    );
    clock.advance(30);
    await tick();
    const row = await db.rolloutDevice.findUniqueOrThrow({
      where: { rolloutId_deviceId: { rolloutId: id, deviceId: a ?? '' } },
    });
    expect(row).toMatchObject({ state: 'timed_out', reason: 'no progress in downloading for 60 s' });
    expect((await rollout(id)).status).toBe('completed');
  });

  it('retries a failed install with a bumped attempt after the backoff, then counts it failed', async () => {
    const f = await fleet('eng-retry', 1);
    const [d] = f.devices as [string];
    const id = await start(f, { maxRetries: 2, gates: { maxFailurePercent: 100, minSuccesses: 0 } });
    await tick();
    expect((await desired(f, d))?.attempt).toBe(0);
    const version0 = (await db.deviceInstruction.findUniqueOrThrow({ where: { deviceId: d } })).version;

    await report(f, d, 'failed', 0);
    expect(await db.rolloutDevice.findFirst({ where: { rolloutId: id } })).toMatchObject({
      state: 'queued',
      attempts: 1,
    });
    await tick();
    // Still backing off: nothing re-sent yet.
    expect((await desired(f, d))?.attempt).toBe(0);
    clock.advance(30);
    expect((await tick()).notified).toBe(1);
    expect((await desired(f, d))?.attempt).toBe(1);
    expect((await db.deviceInstruction.findUniqueOrThrow({ where: { deviceId: d } })).version).toBe(version0 + 1);

    await report(f, d, 'failed', 1);
    clock.advance(60);
    await tick();
    expect((await desired(f, d))?.attempt).toBe(2);
    await report(f, d, 'failed', 2);
    expect(await db.rolloutDevice.findFirst({ where: { rolloutId: id } })).toMatchObject({
      state: 'failed',
      attempts: 2,
    });
    clock.advance(3600);
    await tick();
    expect((await desired(f, d))?.attempt).toBe(2);
    expect((await rollout(id)).status).toBe('completed');
  });

  it('pauses when the failure rate crosses the gate (onFailure pause) and notifies no one after', async () => {
    const f = await fleet('eng-pause', 8);
    const id = await start(f, { maxConcurrent: 3, gates: { maxFailurePercent: 20, minSuccesses: 0 } });
    await tick();
    const [a, b, c] = await inState(id, 'notified');
    await report(f, a ?? '', 'succeeded');
    await report(f, b ?? '', 'succeeded');
    await tick();
    expect((await stateCounts(db, id)).notified).toBe(3);
    await report(f, c ?? '', 'failed', 0, false);
    await tick();
    expect(await rollout(id)).toMatchObject({
      status: 'paused',
      statusReason: 'gate maxFailurePercent: 1 of 3 finished devices failed (33.3%), above the 20% gate',
    });
    clock.advance(600);
    await tick();
    expect(await stateCounts(db, id)).toEqual({ succeeded: 2, failed: 1, notified: 2, queued: 3 });
    expect((await events(id)).slice(-2)).toEqual(['gate_tripped', 'paused']);
    const audit = await db.auditEvent.findFirst({ where: { action: 'rollout.pause', targetId: id } });
    expect(audit).toMatchObject({ actorType: 'system', actorLabel: 'rollout-engine', outcome: 'success' });
  });

  it('rolls back when the gate trips under onFailure rollback: previous versions restored, new installs removed', async () => {
    const f = await fleet('eng-rollback', 4, { previous: 2 });
    const [hadA, hadB, newC, newD] = f.devices as [string, string, string, string];
    const id = await start(f, { onFailure: 'rollback', gates: { maxFailurePercent: 30, minSuccesses: 0 } });
    await tick();
    await report(f, hadA, 'succeeded');
    await report(f, newC, 'succeeded');
    await report(f, newD, 'downloading');
    await report(f, hadB, 'failed', 0, false);
    const instructions = async () =>
      new Map(
        (await db.deviceInstruction.findMany({ where: { deviceId: { in: f.devices } } })).map((i) => [
          i.deviceId,
          i.version,
        ]),
      );
    const before = await instructions();
    await tick();
    expect(await rollout(id)).toMatchObject({
      status: 'rolled_back',
      statusReason: expect.stringContaining('maxFailurePercent'),
    });
    for (const d of [hadA, hadB]) {
      expect(await desired(f, d)).toMatchObject({
        versionId: f.v1.versionId,
        rollback: true,
        rolloutId: id,
        artifactPath: f.v1.artifacts[0]?.path,
      });
    }
    expect(await desired(f, newC)).toBeNull();
    expect(await desired(f, newD)).toBeNull();
    const after = await instructions();
    for (const d of f.devices) expect(after.get(d)).toBeGreaterThan(before.get(d) ?? 0);
    expect(await deviceStates(db, id)).toEqual(
      new Map([
        [hadA, 'rolled_back'],
        [hadB, 'failed'],
        [newC, 'rolled_back'],
        [newD, 'rolled_back'],
      ]),
    );
    expect((await events(id)).slice(-2)).toEqual(['gate_tripped', 'rolled_back']);
    expect(
      await db.auditEvent.count({ where: { action: 'rollout.rollback', targetId: id, actorType: 'system' } }),
    ).toBe(1);
  });

  it('pauses a running rollout whose publisher key is revoked, whatever onFailure says', async () => {
    const f = await fleet('eng-revoked', 3);
    const id = await start(f, { maxConcurrent: 1, onFailure: 'rollback' });
    expect((await tick()).notified).toBe(1);
    await db.publisherKey.update({ where: { id: f.v1.publisher.keyId }, data: { revokedAt: clock.now() } });
    const [first] = await inState(id, 'notified');
    await report(f, first ?? '', 'succeeded');
    await tick();
    expect(await rollout(id)).toMatchObject({
      status: 'paused',
      statusReason: expect.stringContaining('was revoked'),
    });
    // Resuming does not get around it.
    await resumeRollout({ db, now: clock.now }, testAdmin, id);
    await tick();
    expect((await rollout(id)).status).toBe('paused');
    expect(await stateCounts(db, id)).toEqual({ succeeded: 1, queued: 2 });
  });

  it('keeps at most maxConcurrent online devices installing', async () => {
    const f = await fleet('eng-concurrency', 6);
    const id = await start(f, { maxConcurrent: 2 });
    expect((await tick()).notified).toBe(2);
    expect((await tick()).notified).toBe(0);
    const [a, b] = await inState(id, 'notified');
    await report(f, a ?? '', 'succeeded');
    expect((await tick()).notified).toBe(1);
    expect((await stateCounts(db, id)).notified).toBe(2);
    // An offline device is not installing; it does not hold a slot.
    await setOnline([b ?? ''], false);
    expect((await tick()).notified).toBe(1);
    expect(await stateCounts(db, id)).toMatchObject({ succeeded: 1, notified: 3, queued: 2 });
  });

  it('notifies only inside the maintenance window (UTC, opening days)', async () => {
    const f = await fleet('eng-window', 4);
    const inWindow = f.devices.slice(0, 2);
    clock.set('2030-01-07T12:00:00Z'); // a Monday
    const id = await start(f, { window: { start: '22:00', end: '02:00' } }, inWindow);
    const tuesdays = await start(f, { window: { start: '22:00', end: '02:00', days: [2] } }, f.devices.slice(2));
    expect((await tick()).notified).toBe(0);
    expect((await rollout(id)).statusReason).toBe('waiting for the maintenance window (22:00-02:00 UTC)');
    clock.set('2030-01-07T22:30:00Z');
    expect((await tick()).notified).toBe(2);
    expect((await rollout(id)).statusReason).toBeNull();
    expect((await stateCounts(db, tuesdays)).queued).toBe(2);
    clock.set('2030-01-08T01:59:00Z'); // Monday's window, Tuesday morning
    expect((await tick()).notified).toBe(0);
    clock.set('2030-01-08T22:00:00Z');
    expect((await tick()).notified).toBe(2);
    expect((await stateCounts(db, tuesdays)).notified).toBe(2);
    expect((await stateCounts(db, id)).queued).toBeUndefined();
  });

  it('admits start × factor^k devices in minute k (exponential)', async () => {
    const f = await fleet('eng-exponential', 30);
    const id = await start(f, { strategy: { kind: 'exponential', startPerMinute: 2, factor: 2 } });
    const notified = async () => 30 - ((await stateCounts(db, id)).queued ?? 0);
    await tick();
    expect(await notified()).toBe(2);
    clock.advance(59);
    await tick();
    expect(await notified()).toBe(2);
    clock.advance(1);
    await tick();
    expect(await notified()).toBe(6);
    clock.advance(60);
    await tick();
    expect(await notified()).toBe(14);
    clock.advance(60);
    await tick();
    expect(await notified()).toBe(30);
  });

  const shadowReport = (f: Fleet, deviceId: string, agreement: number) =>
    applyStateReport(
      db,
      deviceId,
      {
        v: 1,
        ts: clock.now().toISOString(),
        instructionVersion: 2,
        models: [
          {
            model: f.model,
            serving: { version: '1.0.0', slot: 'a', since: clock.now().toISOString() },
            shadow: { version: '2.0.0', samples: 200, agreement, errors: 0 },
          },
        ],
      },
      clock.now(),
    );

  for (const outcome of ['passes', 'fails'] as const) {
    it(`runs the shadow phase first and ${outcome} on agreement`, async () => {
      const f = await fleet(`eng-shadow-${outcome}`, 6, { previous: 6 });
      const id = await start(f, {
        shadow: { count: 2, durationSeconds: 600, samplePercent: 10 },
        gates: { maxFailurePercent: 5, minSuccesses: 0, minAgreementPercent: 95 },
      });
      expect((await tick()).notified).toBe(2);
      const cohort = await inState(id, 'shadowing');
      expect(cohort).toHaveLength(2);
      for (const d of cohort) {
        expect(await desired(f, d)).toMatchObject({
          versionId: f.v1.versionId,
          shadowVersionId: f.v2.versionId,
          shadowSamplePercent: 10,
        });
      }
      expect((await stateCounts(db, id)).queued).toBe(4);
      for (const d of cohort) await shadowReport(f, d, outcome === 'passes' ? 0.99 : 0.6);
      clock.advance(599);
      await tick();
      expect((await rollout(id)).currentPhase).toBe(-1);
      clock.advance(1);
      await tick();
      for (const d of cohort) expect((await desired(f, d))?.shadowVersionId).toBeNull();
      if (outcome === 'passes') {
        expect(await rollout(id)).toMatchObject({ currentPhase: 0, status: 'running' });
        expect((await tick()).notified).toBe(6);
        for (const d of cohort) expect((await desired(f, d))?.versionId).toBe(f.v2.versionId);
      } else {
        expect(await rollout(id)).toMatchObject({
          currentPhase: -1,
          status: 'paused',
          statusReason: expect.stringContaining('gate minAgreementPercent'),
        });
        await tick();
        expect(await stateCounts(db, id)).toEqual({ queued: 6 });
        for (const d of f.devices) expect((await desired(f, d))?.versionId).toBe(f.v1.versionId);
      }
    });
  }

  it('notifies a 1,000-device phase in one tick, each device with its variant, and idles cheaply', async () => {
    const model = 'eng-thousand';
    const v1 = await seedPublishedVersion(db, { model, version: '1.0.0' });
    const v2 = await seedPublishedVersion(db, {
      model,
      version: '2.0.0',
      publisher: v1.publisher,
      variants: [
        { accelerator: 'cpu', precision: 'fp32' },
        { accelerator: 'cuda', precision: 'fp16' },
      ],
    });
    const cpu = await seedFleet(db, 500, { prefix: `${model}-cpu` });
    const gpu = await seedFleet(db, 500, { prefix: `${model}-gpu`, accelerators: ['cuda'] });
    const f: Fleet = { model, v1, v2, devices: [...cpu, ...gpu] };
    const id = await start(f);
    expect((await tick()).notified).toBe(1_000);
    const paths = await db.deviceDesiredModel.groupBy({
      by: ['artifactPath'],
      where: { modelId: v1.modelId },
      _count: { _all: true },
      orderBy: { artifactPath: 'asc' },
    });
    expect(paths.map((p) => [p.artifactPath, p._count._all])).toEqual([
      [`models/${model}/2.0.0/onnx-cpu-fp32`, 500],
      [`models/${model}/2.0.0/onnx-cuda-fp16`, 500],
    ]);
    expect(await db.deviceInstruction.count({ where: { deviceId: { in: f.devices }, dirty: true } })).toBe(1_000);
    const started = performance.now();
    expect(await tick()).toEqual({ rollouts: 1, notified: 0 });
    // A quiet tick over 1,000 in-flight devices is a handful of indexed queries.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect((await stateCounts(db, id)).notified).toBe(1_000);
  });
});
