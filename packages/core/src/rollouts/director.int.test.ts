import { readFile, rm } from 'node:fs/promises';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { ZDeviceInstruction } from '@edgefleet/protocol/rollout';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePublisherKey } from '../registry/testing.ts';
import { clearDesired, setDesired, setShadow } from './desired.ts';
import {
  buildInstruction,
  markNotified,
  type RepositoryDeps,
  readDeviceMetadata,
  signPendingInstructions,
} from './device-repository.ts';
import { type DirectorKey, loadOrCreateDirectorKey } from './director-key.ts';
import { fetcherFrom, type SeededVersion, seedBareDevices, seedPublishedVersion, testUpdater } from './testing.ts';

const SECRET = 'director test secret';
const HOUR = 3600_000;

const signedOf = (json: string | null) => {
  if (!json) throw new Error('no document');
  return (JSON.parse(json) as { signed: Record<string, unknown> & { version: number; expires: string } }).signed;
};

describe.each(testDatabaseKinds())('director on %s', (kind) => {
  let t: TestDatabase;
  let director: DirectorKey;
  let deps: RepositoryDeps;
  let v1: SeededVersion;
  let v2: SeededVersion;
  const publisher = makePublisherKey();
  const dirs: string[] = [];
  const updaterFor = async (
    deviceId: string,
    opts: Omit<Parameters<typeof testUpdater>[0], 'deviceId' | 'deps'> = {},
  ) => {
    const made = await testUpdater({ deps, deviceId, ...opts });
    dirs.push(made.metadataDir);
    return made;
  };
  const serve = (deviceId: string, version: SeededVersion, variant = 0) => ({
    deviceId,
    modelId: version.modelId,
    versionId: version.versionId,
    artifactPath: version.artifacts[variant]?.path ?? '',
  });
  const files = async (deviceId: string) => ({
    timestamp: await readDeviceMetadata(deps, deviceId, 'timestamp.json'),
    snapshot: await readDeviceMetadata(deps, deviceId, 'snapshot.json'),
    targets: await readDeviceMetadata(deps, deviceId, 'targets.json'),
  });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    director = await loadOrCreateDirectorKey(t.db, { secret: SECRET });
    deps = { db: t.db, director };
    v1 = await seedPublishedVersion(t.db, {
      publisher,
      version: '1.0.0',
      variants: [{}, { accelerator: 'cuda', precision: 'fp16' }],
    });
    v2 = await seedPublishedVersion(t.db, { publisher, version: '1.1.0' });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('keeps one director key, sealed, whose private half no function returns', async () => {
    const again = await loadOrCreateDirectorKey(t.db, { secret: SECRET });
    expect(again.keyId).toBe(director.keyId);
    expect(director.publicKeyHex).toMatch(/^[0-9a-f]{64}$/);
    const row = await t.db.pkiMaterial.findUniqueOrThrow({ where: { name: 'director' } });
    expect(row.certPem).toBe(director.publicKeyHex);
    expect(row.keyEnc).not.toContain('PRIVATE KEY');
    expect(JSON.stringify(director)).not.toMatch(/PRIVATE|privateKey/);
    expect(Object.keys(director).sort()).toEqual(['createdAt', 'keyId', 'publicKeyHex', 'sign']);
    await expect(loadOrCreateDirectorKey(t.db, { secret: 'another secret' })).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
    });
  });

  it('serves a repository tuf-js trusts: the publisher target and the signed instruction', async () => {
    const [device] = await seedBareDevices(t.db, 1);
    if (!device) throw new Error('no device');
    const rollout = await t.db.rollout.create({
      data: {
        id: `ro_${device}`,
        modelId: v1.modelId,
        versionId: v1.versionId,
        selector: { kind: 'devices', deviceIds: [device] },
        strategy: { kind: 'all' },
        gates: { maxFailurePercent: 5, minSuccesses: 0, healthCheckSeconds: 42 },
        onFailure: 'pause',
        stepTimeoutSeconds: 900,
        maxRetries: 2,
        status: 'running',
        currentPhase: 0,
        phaseStartedAt: new Date(),
        deviceCount: 1,
      },
    });
    await setDesired(t.db, [{ ...serve(device, v1, 1), rolloutId: rollout.id, attempt: 2, force: true }]);

    const { updater, metadataDir } = await updaterFor(device);
    await updater.refresh();
    const cuda = v1.artifacts[1];
    const target = await updater.getTargetInfo('models/detector/1.0.0/onnx-cuda-fp16');
    expect(target).toMatchObject({ length: cuda?.length, hashes: { sha256: cuda?.sha256 } });
    expect(target?.custom).toEqual(JSON.parse(JSON.stringify(cuda?.custom)));
    // Only what the publisher signed is there: the role names no other path.
    expect(await updater.getTargetInfo('models/detector/1.0.0/onnx-cpu-int8')).toBeUndefined();

    const trusted = await readFile(`${metadataDir}/targets.json`, 'utf8');
    const instruction = ZDeviceInstruction.parse(signedOf(trusted).custom);
    expect(instruction).toEqual({
      v: 1,
      deviceId: device,
      issuedAt: expect.any(String),
      models: [
        {
          model: 'detector',
          version: '1.0.0',
          path: cuda?.path,
          sha256: cuda?.sha256,
          length: cuda?.length,
          rollback: false,
          force: true,
          attempt: 2,
          healthCheckSeconds: 42,
          rolloutId: rollout.id,
        },
      ],
    });
    expect(await buildInstruction(t.db, device)).toMatchObject({ models: instruction.models });
  });

  it('signs a higher version after each change, which the same client accepts', async () => {
    const [device] = await seedBareDevices(t.db, 1);
    if (!device) throw new Error('no device');
    await setDesired(t.db, [serve(device, v1)]);
    const { updater, metadataDir } = await updaterFor(device);
    await updater.refresh();
    const first = signedOf((await files(device)).targets).version;

    // The same write again changes nothing, so nothing is re-signed.
    await setDesired(t.db, [serve(device, v1)]);
    expect(signedOf((await files(device)).timestamp).version).toBe(first);

    await setDesired(t.db, [serve(device, v2)]);
    const second = await files(device);
    expect(signedOf(second.targets).version).toBeGreaterThan(first);
    expect(signedOf(second.snapshot).version).toBe(signedOf(second.targets).version);
    expect(signedOf(second.timestamp).version).toBe(signedOf(second.targets).version);
    // The client's trusted snapshot listed detector@1.0.0: dropping it would fail its rollback check.
    expect(Object.keys(signedOf(second.snapshot).meta as object)).toContain('detector@1.0.0.json');

    const { updater: next } = await updaterFor(device, { metadataDir });
    await next.refresh();
    expect(await next.getTargetInfo(v2.artifacts[0]?.path ?? '')).toMatchObject({ length: v2.artifacts[0]?.length });
    // No longer delegated: the old version's targets are out of reach.
    expect(await next.getTargetInfo(v1.artifacts[0]?.path ?? '')).toBeUndefined();
    expect(await readDeviceMetadata(deps, device, 'detector%401.0.0.json')).toBeNull();

    await clearDesired(t.db, [device], v2.modelId);
    const cleared = await files(device);
    expect(signedOf(cleared.targets).version).toBeGreaterThan(signedOf(second.targets).version);
    expect(signedOf(cleared.targets).custom).toMatchObject({ models: [] });
    const { updater: third } = await updaterFor(device, { metadataDir });
    await third.refresh();
  });

  it('delegates a shadow candidate beside the serving version', async () => {
    const [device] = await seedBareDevices(t.db, 1);
    if (!device) throw new Error('no device');
    await setDesired(t.db, [serve(device, v1)]);
    await setShadow(t.db, [device], v1.modelId, {
      versionId: v2.versionId,
      artifactPath: v2.artifacts[0]?.path ?? '',
      samplePercent: 25,
    });
    const { updater } = await updaterFor(device);
    await updater.refresh();
    expect(await updater.getTargetInfo(v2.artifacts[0]?.path ?? '')).toBeDefined();
    const instruction = ZDeviceInstruction.parse(signedOf((await files(device)).targets).custom);
    expect(instruction.models[0]).toMatchObject({
      version: '1.0.0',
      shadow: { version: '1.1.0', samplePercent: 25, sha256: v2.artifacts[0]?.sha256 },
    });
    // setDesired without a shadow decision keeps the candidate; null clears it.
    await setDesired(t.db, [{ ...serve(device, v1), attempt: 1 }]);
    expect((await buildInstruction(t.db, device)).models[0]?.shadow?.version).toBe('1.1.0');
    await setDesired(t.db, [{ ...serve(device, v1), shadow: null }]);
    expect((await buildInstruction(t.db, device)).models[0]?.shadow).toBeUndefined();
  });

  it('refuses desired versions that are not published artifacts of the model', async () => {
    const [device] = await seedBareDevices(t.db, 1);
    if (!device) throw new Error('no device');
    await expect(
      setDesired(t.db, [{ ...serve(device, v1), artifactPath: 'models/detector/1.0.0/x' }]),
    ).rejects.toMatchObject({
      code: 'INVALID',
    });
    await t.db.modelVersion.update({ where: { id: v2.versionId }, data: { status: 'uploading' } });
    try {
      await expect(setDesired(t.db, [serve(device, v2)])).rejects.toMatchObject({ code: 'INVALID' });
    } finally {
      await t.db.modelVersion.update({ where: { id: v2.versionId }, data: { status: 'published' } });
    }
    expect(await t.db.deviceDesiredModel.count({ where: { deviceId: device } })).toBe(0);
  });

  it('refuses a replayed older signed set', async () => {
    const [device] = await seedBareDevices(t.db, 1);
    if (!device) throw new Error('no device');
    await setDesired(t.db, [serve(device, v1)]);
    const old = await files(device);
    const { updater, metadataDir } = await updaterFor(device);
    await updater.refresh();
    await setDesired(t.db, [serve(device, v2)]);
    const { updater: current } = await updaterFor(device, { metadataDir });
    await current.refresh();

    const replaying = (pick: (file: string) => string | null | undefined) =>
      fetcherFrom(async (file) => {
        const replayed = pick(file);
        return replayed === undefined ? readDeviceMetadata(deps, device, file) : replayed;
      });
    const whole = replaying((file) =>
      file === 'timestamp.json'
        ? old.timestamp
        : file === 'snapshot.json'
          ? old.snapshot
          : file === 'targets.json'
            ? old.targets
            : undefined,
    );
    const { updater: attacked } = await updaterFor(device, { metadataDir, fetcher: whole });
    await expect(attacked.refresh()).rejects.toThrow(/timestamp version \d+ is less than current version/);
    // Old targets under the current timestamp and snapshot, even to a client that trusts nothing
    // yet: the snapshot names another version.
    const targetsOnly = replaying((file) => (file === 'targets.json' ? old.targets : undefined));
    const { updater: mixed } = await updaterFor(device, { fetcher: targetsOnly });
    await expect(mixed.refresh()).rejects.toThrow(/does not match snapshot version/);
    // The defence is the client's trusted state: a client without it would take the old set.
    const { updater: amnesiac } = await updaterFor(device, { fetcher: whole });
    await amnesiac.refresh();
  });

  it('lets signed sets expire, and signs again before they do', async () => {
    const [device] = await seedBareDevices(t.db, 1);
    if (!device) throw new Error('no device');
    await setDesired(t.db, [serve(device, v1)]);
    const past = new Date(Date.now() - 30 * HOUR);
    const stale = { ...deps, now: () => past };
    expect(signedOf(await readDeviceMetadata(stale, device, 'timestamp.json')).expires).toBe(
      new Date(Math.floor((past.getTime() + 24 * HOUR) / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    );
    const { updater } = await updaterFor(device, { fetcher: fetcherFrom((f) => readDeviceMetadata(stale, device, f)) });
    await expect(updater.refresh()).rejects.toThrow(/expired/);

    // At the real time the set is past due, so the timestamp request signs a fresh one.
    const { updater: fresh } = await updaterFor(device);
    await fresh.refresh();
    const renewed = signedOf((await files(device)).timestamp);
    expect(new Date(renewed.expires).getTime()).toBeGreaterThan(Date.now() + 23 * HOUR);
    // Not re-signed while far from expiry (12 h before it, or half a short TTL).
    expect(signedOf(await readDeviceMetadata(deps, device, 'timestamp.json')).version).toBe(renewed.version);
    const inFourteenHours = { ...deps, now: () => new Date(Date.now() + 14 * HOUR) };
    expect(signedOf(await readDeviceMetadata(inFourteenHours, device, 'timestamp.json')).version).toBe(
      renewed.version + 1,
    );
  });

  it('refuses a delegated role signed by a key other than the one delegated to', async () => {
    const [device] = await seedBareDevices(t.db, 1);
    if (!device) throw new Error('no device');
    const forged = await seedPublishedVersion(t.db, { publisher, signer: makePublisherKey(), version: '9.0.0' });
    await setDesired(t.db, [serve(device, forged)]);
    const { updater } = await updaterFor(device);
    await updater.refresh();
    await expect(updater.getTargetInfo(forged.artifacts[0]?.path ?? '')).rejects.toThrow(/Unable to load targets/);
    await t.db.deviceDesiredModel.deleteMany({ where: { deviceId: device } });
    await t.db.modelVersion.delete({ where: { id: forged.versionId } });
  });

  it('serves each device only its own repository, and nothing for unknown files', async () => {
    const [a, b, pending] = await seedBareDevices(t.db, 3);
    if (!a || !b || !pending) throw new Error('no device');
    await t.db.device.update({ where: { id: pending }, data: { status: 'pending' } });
    await setDesired(t.db, [serve(a, v1), serve(pending, v1)]);
    // Roles are served from the signed targets, which the timestamp request (first in a refresh) signs.
    expect(await readDeviceMetadata(deps, a, 'detector%401.0.0.json')).toBeNull();
    await readDeviceMetadata(deps, a, 'timestamp.json');
    expect(await readDeviceMetadata(deps, a, 'detector%401.0.0.json')).toBe(v1.signedMetadata);
    expect(await readDeviceMetadata(deps, a, 'detector@1.0.0.json')).toBe(v1.signedMetadata);

    const bTargets = signedOf(await readDeviceMetadata(deps, b, 'targets.json'));
    expect(bTargets.custom).toMatchObject({ deviceId: b, models: [] });
    expect(JSON.stringify(bTargets)).not.toContain(a);
    expect(await readDeviceMetadata(deps, b, 'detector%401.0.0.json')).toBeNull();
    const { updater } = await updaterFor(b);
    await updater.refresh();
    expect(await updater.getTargetInfo(v1.artifacts[0]?.path ?? '')).toBeUndefined();

    for (const file of [
      'root.json',
      '2.root.json',
      'detector@1.0.0',
      'detector@nope.json',
      '@1.0.0.json',
      '%E0%A4%A.json',
      '../targets.json',
    ]) {
      expect(await readDeviceMetadata(deps, a, file), file).toBeNull();
    }
    expect(await readDeviceMetadata(deps, pending, 'timestamp.json')).toBeNull();
    expect(await readDeviceMetadata(deps, pending, 'detector%401.0.0.json')).toBeNull();
    expect(await readDeviceMetadata(deps, 'dev_unknown', 'timestamp.json')).toBeNull();
    expect(await readDeviceMetadata(deps, 'dev_unknown', '1.root.json')).toBe(
      await readDeviceMetadata(deps, a, '1.root.json'),
    );
  });

  it('writes and signs a thousand devices in bulk, each once', async () => {
    const devices = await seedBareDevices(t.db, 1000);
    let started = performance.now();
    await setDesired(
      t.db,
      devices.map((d, i) => serve(d, i % 2 ? v1 : v2)),
    );
    const writeMs = performance.now() - started;
    expect(await t.db.deviceInstruction.count({ where: { deviceId: { in: devices }, dirty: true } })).toBe(1000);

    started = performance.now();
    // Two replicas at once: every device is signed, none twice.
    const [one, two] = await Promise.all([signPendingInstructions(deps, 2000), signPendingInstructions(deps, 2000)]);
    const signMs = performance.now() - started;
    const signed = [...one, ...two].filter((s) => devices.includes(s.deviceId));
    expect(signed).toHaveLength(1000);
    expect(new Set(signed.map((s) => s.deviceId)).size).toBe(1000);
    expect(writeMs).toBeLessThan(3000);
    expect(signMs).toBeLessThan(10_000);
    expect(await signPendingInstructions(deps)).toEqual([]);

    const sample = signed[500];
    if (!sample) throw new Error('no sample');
    expect(signedOf(await readDeviceMetadata(deps, sample.deviceId, 'timestamp.json')).version).toBe(sample.version);
    const { updater } = await updaterFor(sample.deviceId);
    await updater.refresh();
    await markNotified(t.db, sample.deviceId, sample.version);
    await markNotified(t.db, sample.deviceId, sample.version - 1);
    expect(
      (await t.db.deviceInstruction.findUniqueOrThrow({ where: { deviceId: sample.deviceId } })).notifiedVersion,
    ).toBe(sample.version);
  });
});
