import type { Db } from '@edgefleet/db/client';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import type { TCreateRollout } from '@edgefleet/protocol/rollout';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../errors.ts';
import { testAdmin } from '../registry/testing.ts';
import { abortRollout, pauseRollout, resumeRollout, rollbackRollout } from './actions.ts';
import { runEngineTick } from './engine.ts';
import { deviceStates, reportInstall, seedFleet, stateCounts, TestClock } from './engine-testing.ts';
import { listPins, removePin, setPin } from './pins.ts';
import { createRollout } from './plan.ts';
import { deviceModels, getRollout, listRolloutDevices, listRollouts, modelDeployments } from './queries.ts';
import { applyStateReport } from './reports.ts';
import { type SeededVersion, seedPublishedVersion } from './testing.ts';

type Plan = Omit<TCreateRollout, 'model' | 'version' | 'selector'>;

describe.each(testDatabaseKinds())('rollout actions, pins and views on %s', (kind) => {
  let t: TestDatabase;
  let db: Db;
  const clock = new TestClock();
  const deps = () => ({ db, now: clock.now });
  const tick = () => runEngineTick(deps());

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    db = t.db;
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(async () => {
    await db.rollout.updateMany({ where: { status: { in: ['running', 'paused'] } }, data: { status: 'aborted' } });
  });

  interface Fleet {
    model: string;
    v1: SeededVersion;
    devices: string[];
  }

  async function fleet(model: string, n: number, previous = 0): Promise<Fleet> {
    const v1 = await seedPublishedVersion(db, { model, version: '1.0.0' });
    await seedPublishedVersion(db, { model, version: '2.0.0', publisher: v1.publisher });
    const devices = await seedFleet(db, n, { prefix: model });
    if (previous > 0) {
      await db.deviceDesiredModel.createMany({
        data: devices.slice(0, previous).map((deviceId) => ({
          deviceId,
          modelId: v1.modelId,
          versionId: v1.versionId,
          artifactPath: v1.artifacts[0]?.path ?? '',
        })),
      });
    }
    return { model, v1, devices };
  }
  const start = async (f: Fleet, plan: Plan = {}, devices = f.devices) =>
    (
      await createRollout(deps(), testAdmin, {
        model: f.model,
        version: '2.0.0',
        selector: { kind: 'devices', deviceIds: devices },
        ...plan,
      })
    ).id;
  const report = (f: Fleet, deviceId: string, step: 'succeeded' | 'failed', retryable?: boolean) =>
    reportInstall(
      db,
      deviceId,
      f.model,
      { version: '2.0.0', step, attempt: 0, ...(retryable === undefined ? {} : { retryable }) },
      clock.now(),
    );
  const desired = (f: Fleet, deviceId: string) =>
    db.deviceDesiredModel.findUnique({ where: { deviceId_modelId: { deviceId, modelId: f.v1.modelId } } });
  const refusal = async (p: Promise<unknown>) => {
    const e = await p.then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(DomainError);
    return e as DomainError;
  };
  const audits = (action: string, targetId: string) =>
    db.auditEvent.findMany({
      where: { action, targetId },
      orderBy: { id: 'asc' },
      select: { outcome: true, actorLabel: true },
    });

  it('pauses, resumes (paused time not counted) and aborts, refusing and auditing wrong transitions', async () => {
    const f = await fleet('act-lifecycle', 4);
    const id = await start(f, { maxConcurrent: 1 });
    await tick();
    const paused = await pauseRollout(deps(), testAdmin, id, 'checking dashboards');
    expect(paused).toMatchObject({
      id,
      status: 'paused',
      statusReason: 'checking dashboards',
      counts: { notified: 1, queued: 3 },
    });
    const again = await refusal(pauseRollout(deps(), testAdmin, id));
    expect(again).toMatchObject({ code: 'CONFLICT', audited: true });
    expect(await audits('rollout.pause', id)).toEqual([
      { outcome: 'success', actorLabel: testAdmin.email },
      { outcome: 'failure', actorLabel: testAdmin.email },
    ]);
    const [first] = [...(await deviceStates(db, id))].find(([, s]) => s === 'notified') ?? [];
    await report(f, first ?? '', 'succeeded');
    await tick();
    expect(await stateCounts(db, id)).toEqual({ succeeded: 1, queued: 3 });

    const startedAt = (await db.rollout.findUniqueOrThrow({ where: { id } })).phaseStartedAt;
    clock.advance(600);
    expect((await resumeRollout(deps(), testAdmin, id)).status).toBe('running');
    expect((await db.rollout.findUniqueOrThrow({ where: { id } })).phaseStartedAt).toEqual(
      new Date(startedAt.getTime() + 600_000),
    );
    await tick();
    expect(await stateCounts(db, id)).toEqual({ succeeded: 1, notified: 1, queued: 2 });

    const aborted = await abortRollout(deps(), testAdmin, id, 'wrong version');
    expect(aborted).toMatchObject({
      status: 'aborted',
      statusReason: 'wrong version',
      counts: { succeeded: 1, notified: 1, cancelled: 2 },
    });
    expect(aborted.finishedAt).toEqual(clock.now());
    // The device already told to update keeps its instruction.
    const notified = [...(await deviceStates(db, id))].find(([, s]) => s === 'notified')?.[0] ?? '';
    expect((await desired(f, notified))?.versionId).not.toBe(f.v1.versionId);
    expect(await refusal(resumeRollout(deps(), testAdmin, id))).toMatchObject({ code: 'CONFLICT', audited: true });
    expect(await refusal(pauseRollout(deps(), testAdmin, 'ro_missing'))).toMatchObject({
      code: 'NOT_FOUND',
      audited: true,
    });
    const detail = await getRollout(db, id);
    expect(detail.events.map((e) => [e.kind, e.actor])).toEqual([
      ['aborted', testAdmin.email],
      ['resumed', testAdmin.email],
      ['paused', testAdmin.email],
      ['created', testAdmin.email],
    ]);
  });

  it('resuming accepts the failures so far; a later one trips again; aborting a gate-paused rollout fails it', async () => {
    const f = await fleet('act-accept', 4);
    const id = await start(f, { gates: { maxFailurePercent: 10, minSuccesses: 0 } });
    await tick();
    const [a, b, c] = f.devices as [string, string, string];
    await report(f, a, 'failed', false);
    await tick();
    expect((await db.rollout.findUniqueOrThrow({ where: { id } })).status).toBe('paused');
    await resumeRollout(deps(), testAdmin, id, 'disk was full on one box');
    await tick();
    expect((await db.rollout.findUniqueOrThrow({ where: { id } })).status).toBe('running');
    await report(f, b, 'succeeded');
    await report(f, c, 'failed', false);
    await tick();
    expect(await db.rollout.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: 'paused',
      statusReason: expect.stringContaining('1 of 2 finished devices failed'),
    });
    expect((await abortRollout(deps(), testAdmin, id)).status).toBe('failed');
  });

  it("rolling back a rollout also takes back devices a later rollout's rollback returned to its version", async () => {
    const f = await fleet('act-rollback-chain', 2, 2);
    const v3 = await seedPublishedVersion(db, { model: f.model, version: '3.0.0', publisher: f.v1.publisher });
    const v2 = await db.modelVersion.findFirstOrThrow({ where: { modelId: f.v1.modelId, version: '2.0.0' } });
    const id2 = await start(f);
    await tick();
    for (const d of f.devices) await report(f, d, 'succeeded');
    await tick();
    expect((await db.rollout.findUniqueOrThrow({ where: { id: id2 } })).status).toBe('completed');
    const id3 = (
      await createRollout(deps(), testAdmin, {
        model: f.model,
        version: '3.0.0',
        selector: { kind: 'devices', deviceIds: f.devices },
      })
    ).id;
    await tick();
    for (const d of f.devices) expect(await desired(f, d)).toMatchObject({ versionId: v3.versionId });
    // 3.0.0 is rolled back (by hand here, by a gate in production): the devices return to 2.0.0.
    await rollbackRollout(deps(), testAdmin, id3, 'broken build');
    for (const d of f.devices) {
      expect(await desired(f, d)).toMatchObject({ versionId: v2.id, rollback: true, rolloutId: id3 });
    }
    // Rolling back 2.0.0 must now reach them too, though their entry was written by 3.0.0's rollback.
    await rollbackRollout(deps(), testAdmin, id2, 'back to 1.0.0');
    for (const d of f.devices) {
      expect(await desired(f, d)).toMatchObject({ versionId: f.v1.versionId, rollback: true, rolloutId: id2 });
    }
  });

  it('rolls back a completed rollout on request, leaving devices a pin has since taken alone', async () => {
    const f = await fleet('act-rollback', 3, 2);
    const pinVersion = await seedPublishedVersion(db, { model: f.model, version: '1.5.0', publisher: f.v1.publisher });
    const [had, pinned, fresh] = f.devices as [string, string, string];
    const id = await start(f);
    await tick();
    for (const d of f.devices) await report(f, d, 'succeeded');
    await tick();
    expect((await db.rollout.findUniqueOrThrow({ where: { id } })).status).toBe('completed');
    await setPin(deps(), testAdmin, { model: f.model, version: '1.5.0', deviceId: pinned });

    const rolled = await rollbackRollout(deps(), testAdmin, id, 'accuracy dropped in production');
    expect(rolled).toMatchObject({ status: 'rolled_back', statusReason: 'accuracy dropped in production' });
    expect(await desired(f, had)).toMatchObject({ versionId: f.v1.versionId, rollback: true, rolloutId: id });
    expect(await desired(f, pinned)).toMatchObject({ versionId: pinVersion.versionId, rolloutId: null });
    expect(await desired(f, fresh)).toBeNull();
    const rows = await db.rolloutDevice.findMany({
      where: { rolloutId: id },
      select: { deviceId: true, state: true, reason: true },
    });
    const byId = new Map(rows.map((r) => [r.deviceId, r]));
    expect(byId.get(had)).toMatchObject({
      state: 'rolled_back',
      reason: 'rolled back to 1.0.0: accuracy dropped in production',
    });
    expect(byId.get(fresh)?.state).toBe('rolled_back');
    expect(byId.get(pinned)).toMatchObject({ state: 'succeeded', reason: expect.stringContaining('not rolled back') });
    expect((await getRollout(db, id)).events[0]).toMatchObject({ kind: 'rolled_back', actor: testAdmin.email });
    expect(await refusal(rollbackRollout(deps(), testAdmin, id, 'again'))).toMatchObject({
      code: 'CONFLICT',
      audited: true,
    });
    expect(await audits('rollout.rollback', id)).toEqual([
      { outcome: 'success', actorLabel: testAdmin.email },
      { outcome: 'failure', actorLabel: testAdmin.email },
    ]);
  });

  it('pins a group: writes the version (a signed downgrade), takes its devices out of the active rollout', async () => {
    const f = await fleet('act-pins', 4);
    await db.deviceGroup.create({ data: { id: 'grp_lab', name: 'lab', selector: { lab: 'yes' } } });
    const lab = f.devices.slice(0, 3);
    await db.device.updateMany({ where: { id: { in: lab } }, data: { tags: { lab: 'yes' } } });
    const id = await start(f);
    await tick();
    const set = await setPin(deps(), testAdmin, {
      model: f.model,
      version: '1.0.0',
      group: 'lab',
      reason: 'lab validation',
    });
    expect(set).toMatchObject({
      pin: { model: f.model, version: '1.0.0', group: 'lab', deviceId: null, reason: 'lab validation' },
      devices: 3,
      updated: 3,
      skippedInRollouts: 3,
      noVariant: 0,
    });
    for (const d of lab) {
      expect(await desired(f, d)).toMatchObject({ versionId: f.v1.versionId, rollback: true, rolloutId: null });
    }
    expect(await stateCounts(db, id)).toEqual({ skipped: 3, notified: 1 });
    expect((await db.rolloutDevice.findFirst({ where: { rolloutId: id, deviceId: lab[0] } }))?.reason).toBe(
      `pinned to 1.0.0 (pin ${set.pin.id})`,
    );
    expect((await getRollout(db, id)).events[0]?.kind).toBe('devices_pinned');
    // Setting it again is an update of the same pin, and changes nothing on the devices.
    const again = await setPin(deps(), testAdmin, { model: f.model, version: '1.0.0', group: 'lab' });
    expect(again).toMatchObject({ pin: { id: set.pin.id }, devices: 3, updated: 0 });

    expect((await listPins(db, { model: f.model })).map((p) => p.id)).toEqual([set.pin.id]);
    expect((await listPins(db, { deviceId: lab[0] })).map((p) => p.id)).toEqual([set.pin.id]);
    expect(await listPins(db, { deviceId: f.devices[3] })).toEqual([]);
    expect((await deviceModels(db, lab[0] ?? ''))[0]).toMatchObject({
      model: f.model,
      desired: { version: '1.0.0', rollback: true, rolloutId: null, shadowVersion: null },
      pin: { id: set.pin.id, version: '1.0.0' },
    });

    const revoked = await seedPublishedVersion(db, { model: f.model, version: '3.0.0' });
    await db.publisherKey.update({ where: { id: revoked.publisher.keyId }, data: { revokedAt: new Date() } });
    const forbidden = await refusal(
      setPin(deps(), testAdmin, { model: f.model, version: '3.0.0', deviceId: f.devices[3] }),
    );
    expect(forbidden).toMatchObject({ code: 'FORBIDDEN', audited: true });
    expect(
      await refusal(
        setPin(deps(), testAdmin, { model: f.model, version: '1.0.0', deviceId: f.devices[3], group: 'lab' }),
      ),
    ).toMatchObject({ code: 'INVALID' });

    expect(await removePin(deps(), testAdmin, set.pin.id)).toMatchObject({ id: set.pin.id, group: 'lab' });
    expect(await listPins(db, { model: f.model })).toEqual([]);
    expect((await desired(f, lab[0] ?? ''))?.versionId).toBe(f.v1.versionId);
    expect(await refusal(removePin(deps(), testAdmin, set.pin.id))).toMatchObject({ code: 'NOT_FOUND', audited: true });
    expect((await audits('pin.set', set.pin.id)).map((a) => a.outcome)).toEqual(['success', 'success']);
  });

  it('pages rollouts and their devices, and shows what each device and model version runs', async () => {
    const f = await fleet('act-views', 5, 2);
    const id = await start(f);
    await tick();
    const [d0, d1] = f.devices as [string, string];
    await applyStateReport(
      db,
      d0,
      {
        v: 1,
        ts: clock.now().toISOString(),
        instructionVersion: 2,
        models: [
          {
            model: f.model,
            serving: { version: '2.0.0', slot: 'b', since: clock.now().toISOString() },
            previous: { version: '1.0.0', slot: 'a' },
            install: { version: '2.0.0', step: 'succeeded', attempt: 0 },
          },
        ],
      },
      clock.now(),
    );
    await applyStateReport(
      db,
      d1,
      {
        v: 1,
        ts: clock.now().toISOString(),
        instructionVersion: 1,
        models: [{ model: f.model, serving: { version: '1.0.0', slot: 'a', since: clock.now().toISOString() } }],
      },
      clock.now(),
    );

    const first = await listRolloutDevices(db, id, { limit: 2 });
    expect(first.items.map((i) => i.ordinal)).toEqual([0, 1]);
    expect(first.nextCursor).toBe(1);
    const second = await listRolloutDevices(db, id, { limit: 2, cursor: first.nextCursor });
    const third = await listRolloutDevices(db, id, { limit: 2, cursor: second.nextCursor });
    expect([...second.items, ...third.items].map((i) => i.ordinal)).toEqual([2, 3, 4]);
    expect(third.nextCursor).toBeNull();
    const all = [...first.items, ...second.items, ...third.items];
    expect(all.find((i) => i.deviceId === d0)).toMatchObject({
      deviceName: d0,
      online: true,
      phase: 0,
      state: 'succeeded',
      attempts: 0,
      previousVersion: '1.0.0',
      artifactPath: `models/${f.model}/2.0.0/onnx-cpu-fp32`,
    });
    expect(all.filter((i) => i.previousVersion === null)).toHaveLength(3);
    expect((await listRolloutDevices(db, id, { state: ['succeeded'] })).items.map((i) => i.deviceId)).toEqual([d0]);
    expect((await listRolloutDevices(db, id, { phase: 1 })).items).toEqual([]);

    expect(await modelDeployments(db, f.model)).toEqual([
      { version: '2.0.0', serving: 1, desired: 5 },
      { version: '1.0.0', serving: 1, desired: 0 },
    ]);
    expect(await deviceModels(db, d0)).toEqual([
      {
        model: f.model,
        desired: { version: '2.0.0', shadowVersion: null, rollback: false, rolloutId: id },
        installed: {
          servingVersion: '2.0.0',
          previousVersion: '1.0.0',
          shadowVersion: null,
          installVersion: '2.0.0',
          installStep: 'succeeded',
          installReason: null,
          updatedAt: expect.any(Date),
        },
        pin: null,
      },
    ]);
    expect(await refusal(deviceModels(db, 'dev_missing'))).toMatchObject({ code: 'NOT_FOUND' });

    // Newest first, keyset-paged.
    const ids = [id];
    for (const d of f.devices.slice(0, 2)) {
      clock.advance(60);
      await abortRollout(deps(), testAdmin, ids[ids.length - 1] ?? '');
      ids.push(await start(f, {}, [d]));
    }
    const page1 = await listRollouts(db, { model: f.model, limit: 2 });
    const page2 = await listRollouts(db, { model: f.model, limit: 2, cursor: page1.nextCursor });
    expect([...page1.items, ...page2.items].map((r) => r.id)).toEqual([...ids].reverse());
    expect(page2.nextCursor).toBeNull();
    expect((await listRollouts(db, { model: f.model, status: ['running'] })).items.map((r) => r.id)).toEqual([ids[2]]);
    expect(page1.items[0]).toMatchObject({
      phaseCount: 1,
      deviceCount: 1,
      onFailure: 'pause',
      createdBy: testAdmin.email,
    });
  });
});
