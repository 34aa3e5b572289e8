import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../errors.ts';
import { testAdmin } from '../registry/testing.ts';
import { abortRollout } from './actions.ts';
import { seedFleet, TestClock } from './engine-testing.ts';
import { setPin } from './pins.ts';
import { createRollout } from './plan.ts';
import { getRollout, listRollouts, previewSelector } from './queries.ts';
import { seedPublishedVersion } from './testing.ts';

const phases = (...percents: number[]) => ({
  kind: 'phases' as const,
  phases: percents.map((percent) => ({ percent, soakSeconds: 0 })),
});

describe.each(testDatabaseKinds())('rollout planning on %s', (kind) => {
  let t: TestDatabase;
  const clock = new TestClock();
  const deps = () => ({ db: t.db, now: clock.now });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(async () => {
    // Every test works on its own model; nothing should stay active into the next one.
    await t.db.rollout.updateMany({ where: { status: { in: ['running', 'paused'] } }, data: { status: 'aborted' } });
  });

  const refusal = async (p: Promise<unknown>) => {
    const e = await p.then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(DomainError);
    return e as DomainError;
  };

  it('plans 20k devices in one statement: phase sizes, a stable shuffle, previous versions', async () => {
    const model = 'plan-big';
    const v1 = await seedPublishedVersion(t.db, { model, version: '1.0.0' });
    await seedPublishedVersion(t.db, { model, version: '2.0.0', publisher: v1.publisher });
    const ids = await seedFleet(t.db, 20_000, { prefix: 'big', tags: { fleet: 'big' } });
    // A quarter of the fleet already has 1.0.0 as its desired version.
    await t.db.$executeRaw`
      INSERT INTO "device_desired_models" ("deviceId", "modelId", "versionId", "artifactPath", "updatedAt")
      SELECT d."id", ${v1.modelId}, ${v1.versionId}, ${v1.artifacts[0]?.path}, now()
      FROM "devices" d WHERE d."id" LIKE 'big-%' ORDER BY d."id" LIMIT 5000`;
    // Not accepted, so never planned, though they carry the tag.
    await seedFleet(t.db, 10, { tags: { fleet: 'big' }, status: 'pending' });

    const started = performance.now();
    const created = await createRollout(deps(), testAdmin, {
      model,
      version: '2.0.0',
      selector: { kind: 'tags', tags: { fleet: 'big' } },
      strategy: phases(10, 50, 100),
    });
    const elapsed = performance.now() - started;
    expect(created).toEqual({ id: expect.stringMatching(/^ro_[0-9a-f]{16}$/), deviceCount: 20_000, skipped: 0 });
    // The 100k-device figure is the benchmark's; this bounds gross regressions (seconds, not minutes).
    expect(elapsed).toBeLessThan(15_000);

    const byPhase = await t.db.rolloutDevice.groupBy({
      by: ['phase'],
      where: { rolloutId: created.id },
      _count: { _all: true },
      _min: { ordinal: true },
      _max: { ordinal: true },
      orderBy: { phase: 'asc' },
    });
    expect(byPhase.map((p) => [p.phase, p._count._all, p._min.ordinal, p._max.ordinal])).toEqual([
      [0, 2_000, 0, 1_999],
      [1, 8_000, 2_000, 9_999],
      [2, 10_000, 10_000, 19_999],
    ]);
    const [agg] = await t.db.$queryRaw<Array<{ distinct: number; prev: number; queued: number }>>`
      SELECT count(DISTINCT "ordinal")::int AS "distinct", count("previousVersionId")::int AS "prev",
        count(*) FILTER (WHERE "state" = 'queued')::int AS "queued"
      FROM "rollout_devices" WHERE "rolloutId" = ${created.id}`;
    expect(agg).toEqual({ distinct: 20_000, prev: 5_000, queued: 20_000 });
    // Shuffled: the first phase is not simply the first ids.
    const first = await t.db.rolloutDevice.findMany({
      where: { rolloutId: created.id, phase: 0 },
      select: { deviceId: true },
    });
    const firstIds = new Set(first.map((d) => d.deviceId));
    expect(ids.slice(0, 2_000).filter((id) => firstIds.has(id)).length).toBeLessThan(1_000);

    const detail = await getRollout(t.db, created.id);
    expect(detail.phases.map((p) => [p.index, p.label, p.target, p.counts.queued, p.status])).toEqual([
      [0, '10%', 2_000, 2_000, 'active'],
      [1, '50%', 10_000, 8_000, 'pending'],
      [2, '100%', 20_000, 10_000, 'pending'],
    ]);
  });

  it('selects by static and dynamic group, tags, explicit ids and all — accepted devices only', async () => {
    const model = 'plan-selectors';
    await seedPublishedVersion(t.db, { model, version: '1.0.0' });
    const run = { run: 'selectors' };
    await t.db.deviceGroup.create({ data: { id: 'grp_static_sel', name: 'static-sel' } });
    await t.db.deviceGroup.create({ data: { id: 'grp_dyn_sel', name: 'dyn-sel', selector: { site: 'lyon' } } });
    const grouped = await seedFleet(t.db, 3, { groupId: 'grp_static_sel', tags: run });
    const lyon = await seedFleet(t.db, 2, { tags: { ...run, site: 'lyon' } });
    const paris = await seedFleet(t.db, 2, { tags: { ...run, site: 'paris' } });
    const [pending] = await seedFleet(t.db, 1, { tags: { ...run, site: 'lyon' }, status: 'pending' });
    const preview = (selector: Parameters<typeof previewSelector>[1]['selector']) =>
      previewSelector(t.db, { model, selector });

    expect(await preview({ kind: 'group', group: 'static-sel' })).toEqual({
      matched: 3,
      pinned: 0,
      busy: 0,
      eligible: 3,
    });
    expect((await preview({ kind: 'group', group: 'dyn-sel' })).matched).toBe(2);
    expect((await preview({ kind: 'tags', tags: run })).matched).toBe(7);
    expect((await preview({ kind: 'tags', tags: { ...run, site: 'paris' } })).matched).toBe(2);
    expect((await preview({ kind: 'devices', deviceIds: [grouped[0] ?? '', paris[1] ?? ''] })).matched).toBe(2);
    expect((await preview({ kind: 'all' })).matched).toBeGreaterThanOrEqual(7);

    const unknown = await refusal(preview({ kind: 'devices', deviceIds: [lyon[0] ?? '', 'dev_nope', pending ?? ''] }));
    expect(unknown.code).toBe('INVALID');
    expect(unknown.message).toContain('dev_nope');
    expect(unknown.message).toContain(pending);
    expect((await refusal(preview({ kind: 'group', group: 'missing' }))).code).toBe('NOT_FOUND');

    const refused = await refusal(
      createRollout(deps(), testAdmin, {
        model,
        version: '1.0.0',
        selector: { kind: 'devices', deviceIds: ['dev_nope'] },
      }),
    );
    expect(refused).toMatchObject({ code: 'INVALID', audited: true });
    const created = await createRollout(deps(), testAdmin, {
      model,
      version: '1.0.0',
      selector: { kind: 'group', group: 'dyn-sel' },
    });
    expect(created.deviceCount).toBe(2);
    const planned = await t.db.rolloutDevice.findMany({ where: { rolloutId: created.id }, select: { deviceId: true } });
    expect(planned.map((d) => d.deviceId).sort()).toEqual([...lyon].sort());
  });

  it('skips pinned devices with the pin in the reason; a device pin wins over its group pin', async () => {
    const model = 'plan-pins';
    const v1 = await seedPublishedVersion(t.db, { model, version: '1.0.0' });
    await seedPublishedVersion(t.db, { model, version: '1.1.0', publisher: v1.publisher });
    await seedPublishedVersion(t.db, { model, version: '2.0.0', publisher: v1.publisher });
    await t.db.deviceGroup.create({ data: { id: 'grp_pinned', name: 'pinned' } });
    const free = await seedFleet(t.db, 3, { tags: { run: 'pins' } });
    const members = await seedFleet(t.db, 2, { tags: { run: 'pins' }, groupId: 'grp_pinned' });
    const groupPin = await setPin(deps(), testAdmin, { model, version: '1.0.0', group: 'pinned' });
    const devicePin = await setPin(deps(), testAdmin, { model, version: '1.1.0', deviceId: members[0] ?? '' });
    expect(await previewSelector(t.db, { model, selector: { kind: 'tags', tags: { run: 'pins' } } })).toEqual({
      matched: 5,
      pinned: 2,
      busy: 0,
      eligible: 3,
    });

    const created = await createRollout(deps(), testAdmin, {
      model,
      version: '2.0.0',
      selector: { kind: 'tags', tags: { run: 'pins' } },
    });
    expect(created).toMatchObject({ deviceCount: 3, skipped: 2 });
    const rows = await t.db.rolloutDevice.findMany({
      where: { rolloutId: created.id },
      orderBy: { ordinal: 'asc' },
      select: { deviceId: true, state: true, reason: true, ordinal: true },
    });
    // Eligible devices come first in rollout order, pinned ones after.
    expect(rows.slice(0, 3).map((r) => [r.state, r.reason])).toEqual([
      ['queued', null],
      ['queued', null],
      ['queued', null],
    ]);
    expect(new Set(rows.slice(0, 3).map((r) => r.deviceId))).toEqual(new Set(free));
    const reasons = new Map(rows.map((r) => [r.deviceId, r.reason]));
    expect(reasons.get(members[0] ?? '')).toBe(`pinned to 1.1.0 (pin ${devicePin.pin.id})`);
    expect(reasons.get(members[1] ?? '')).toBe(`pinned to 1.0.0 (pin ${groupPin.pin.id})`);
    expect((await getRollout(t.db, created.id)).counts).toMatchObject({ queued: 3, skipped: 2 });
  });

  it('refuses a rollout overlapping an active one of the same model, naming it; other models are free', async () => {
    const model = 'plan-overlap';
    const v1 = await seedPublishedVersion(t.db, { model, version: '1.0.0' });
    await seedPublishedVersion(t.db, { model, version: '1.1.0', publisher: v1.publisher });
    await seedPublishedVersion(t.db, { model: 'plan-overlap-other', version: '1.0.0', publisher: v1.publisher });
    const devices = await seedFleet(t.db, 4, { tags: { run: 'overlap' } });
    const first = await createRollout(deps(), testAdmin, {
      model,
      version: '1.0.0',
      selector: { kind: 'devices', deviceIds: devices.slice(0, 3) },
    });
    const overlapping = { model, version: '1.1.0', selector: { kind: 'tags' as const, tags: { run: 'overlap' } } };
    expect(await previewSelector(t.db, overlapping)).toEqual({ matched: 4, pinned: 0, busy: 3, eligible: 1 });
    const refused = await refusal(createRollout(deps(), testAdmin, overlapping));
    expect(refused).toMatchObject({ code: 'CONFLICT', audited: true });
    expect(refused.message).toContain(`${first.id} (3)`);
    const audit = await t.db.auditEvent.findFirst({
      where: { action: 'rollout.create', outcome: 'failure' },
      orderBy: { id: 'desc' },
    });
    expect(audit).toMatchObject({ actorLabel: testAdmin.email, targetType: 'rollout' });
    expect(audit?.detail).toMatchObject({ code: 'CONFLICT', model });
    expect(await t.db.rollout.count({ where: { model: { name: model } } })).toBe(1);

    // Another model on the same devices is no conflict.
    await createRollout(deps(), testAdmin, { ...overlapping, model: 'plan-overlap-other', version: '1.0.0' });
    // Once the first is no longer active, the devices are free.
    await abortRollout(deps(), testAdmin, first.id);
    expect((await createRollout(deps(), testAdmin, overlapping)).deviceCount).toBe(4);
  });

  it('refuses versions that are not published or whose publisher key is revoked, and invalid plans', async () => {
    const model = 'plan-trust';
    const good = await seedPublishedVersion(t.db, { model, version: '1.0.0' });
    const revoked = await seedPublishedVersion(t.db, { model, version: '1.1.0' });
    await t.db.publisherKey.update({ where: { id: revoked.publisher.keyId }, data: { revokedAt: new Date() } });
    const uploading = await seedPublishedVersion(t.db, { model, version: '1.2.0', publisher: good.publisher });
    await t.db.modelVersion.update({ where: { id: uploading.versionId }, data: { status: 'uploading' } });
    await seedFleet(t.db, 2, { tags: { run: 'trust' } });
    const plan = (version: string) => ({ model, version, selector: { kind: 'tags' as const, tags: { run: 'trust' } } });

    const forbidden = await refusal(createRollout(deps(), testAdmin, plan('1.1.0')));
    expect(forbidden).toMatchObject({ code: 'FORBIDDEN', audited: true });
    expect(forbidden.message).toContain('revoked');
    expect(
      await t.db.auditEvent.count({
        where: { action: 'rollout.create', outcome: 'failure', detail: { path: ['code'], equals: 'FORBIDDEN' } },
      }),
    ).toBe(1);
    expect((await refusal(createRollout(deps(), testAdmin, plan('1.2.0')))).code).toBe('NOT_FOUND');
    expect((await refusal(createRollout(deps(), testAdmin, plan('9.9.9')))).code).toBe('NOT_FOUND');
    const invalid = await refusal(
      createRollout(deps(), testAdmin, { ...plan('1.0.0'), strategy: { kind: 'phases', phases: [] } }),
    );
    expect(invalid).toMatchObject({ code: 'INVALID', audited: true });
    expect(await t.db.rollout.count({ where: { model: { name: model } } })).toBe(0);
    expect((await createRollout(deps(), testAdmin, plan('1.0.0'))).deviceCount).toBe(2);
  });

  it('draws the shadow cohort from devices with a serving version and puts it first', async () => {
    const model = 'plan-shadow';
    const v1 = await seedPublishedVersion(t.db, { model, version: '1.0.0' });
    await seedPublishedVersion(t.db, { model, version: '2.0.0', publisher: v1.publisher });
    const devices = await seedFleet(t.db, 20, { tags: { run: 'shadow' } });
    const serving = devices.slice(0, 10);
    await t.db.deviceDesiredModel.createMany({
      data: serving.map((deviceId) => ({
        deviceId,
        modelId: v1.modelId,
        versionId: v1.versionId,
        artifactPath: v1.artifacts[0]?.path ?? '',
      })),
    });
    const created = await createRollout(deps(), testAdmin, {
      model,
      version: '2.0.0',
      selector: { kind: 'tags', tags: { run: 'shadow' } },
      strategy: phases(50, 100),
      shadow: { percent: 20, durationSeconds: 600 },
    });
    const cohort = await t.db.rolloutDevice.findMany({
      where: { rolloutId: created.id, shadow: true },
      orderBy: { ordinal: 'asc' },
      select: { deviceId: true, ordinal: true, phase: true, previousVersionId: true },
    });
    expect(cohort.map((c) => c.ordinal)).toEqual([0, 1, 2, 3]);
    expect(cohort.every((c) => serving.includes(c.deviceId) && c.previousVersionId === v1.versionId)).toBe(true);
    expect(cohort.every((c) => c.phase === 0)).toBe(true);

    const detail = await getRollout(t.db, created.id);
    expect(detail).toMatchObject({
      id: created.id,
      model,
      version: '2.0.0',
      status: 'running',
      currentPhase: -1,
      phaseCount: 2,
      deviceCount: 20,
      createdBy: testAdmin.email,
      healthCheckSeconds: 10,
      gates: { maxFailurePercent: 5, minSuccesses: 0 },
      shadow: { percent: 20, durationSeconds: 600, samplePercent: 100 },
    });
    expect(detail.phases.map((p) => [p.index, p.label, p.target, p.status])).toEqual([
      [-1, 'shadow 20%', 4, 'active'],
      [0, '50%', 10, 'pending'],
      [1, '100%', 20, 'pending'],
    ]);
    expect(detail.events.map((e) => [e.kind, e.actor])).toEqual([['created', testAdmin.email]]);
    expect(detail.events[0]?.message).toContain('shadow 20% on 4 devices');
    const audit = await t.db.auditEvent.findFirst({ where: { action: 'rollout.create', targetId: created.id } });
    expect(audit).toMatchObject({ outcome: 'success', actorLabel: testAdmin.email });
    const listed = await listRollouts(t.db, { model });
    expect(listed.items.map((r) => [r.id, r.counts.queued, r.createdBy])).toEqual([[created.id, 20, testAdmin.email]]);

    // A shadow phase with no device serving a version has nothing to compare against.
    const fresh = await seedFleet(t.db, 3, { tags: { run: 'shadow-none' } });
    const none = await refusal(
      createRollout(deps(), testAdmin, {
        model,
        version: '2.0.0',
        selector: { kind: 'devices', deviceIds: fresh },
        shadow: { count: 1, durationSeconds: 60 },
      }),
    );
    expect(none.code).toBe('INVALID');
  });
});
