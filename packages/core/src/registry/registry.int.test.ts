import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from '@edgefleet/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArtifactStore, createLocalArtifactStore } from './artifact-store.ts';
import { getModel, getSignedMetadata, listModels } from './models.ts';
import { addPublisherKey, listPublisherKeys, revokePublisherKey } from './publisher-keys.ts';
import { makePublisherKey, sha256Of, signVersionForTest, targetFor, testAdmin, testPublishToken } from './testing.ts';
import { createVersion, uploadArtifact } from './versions.ts';

/** Smoke-test tensor data as signed: little-endian float32, base64. */
const f32 = (...xs: number[]) => Buffer.from(new Float32Array(xs).buffer).toString('base64');

const bytesOf = (label: string) => Buffer.from(`fake onnx model: ${label}`.repeat(100));

describe.each(testDatabaseKinds())('model registry on %s', (kind) => {
  let t: TestDatabase;
  let dir: string;
  let store: ArtifactStore;
  const ci = makePublisherKey();
  const deps = () => ({ db: t.db, store });
  const upload = (versionId: string, bytes: Buffer, sha256 = sha256Of(bytes)) =>
    uploadArtifact(deps(), testPublishToken, versionId, sha256, Readable.from([bytes]));
  const snapshot = async () => ({
    models: await t.db.model.count(),
    versions: await t.db.modelVersion.findMany({
      orderBy: { id: 'asc' },
      select: { id: true, status: true, signedMetadata: true },
    }),
    artifacts: await t.db.modelArtifact.count(),
    blobs: (await readdir(join(dir, 'sha256')).catch(() => [])).length,
    partials: (await readdir(join(dir, 'tmp')).catch(() => [])).length,
  });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    dir = await mkdtemp(join(tmpdir(), 'edgefleet-registry-'));
    store = createLocalArtifactStore(dir);
    await addPublisherKey(t.db, testAdmin, { name: 'ci-main', publicKey: ci.publicKey });
  });
  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('registers publisher keys under their TUF key id, once', async () => {
    const rotated = makePublisherKey();
    const added = await addPublisherKey(t.db, testAdmin, {
      name: 'ci-next',
      publicKey: JSON.stringify(rotated.publicKey),
    });
    expect(added).toMatchObject({ id: rotated.keyId, name: 'ci-next', revoked: false, versionCount: 0 });
    await expect(
      addPublisherKey(t.db, testAdmin, { name: 'again', publicKey: rotated.publicKey }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('ci-next'),
    });
    await expect(
      addPublisherKey(t.db, testAdmin, { name: 'ci-next', publicKey: makePublisherKey().publicKey }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(addPublisherKey(t.db, testAdmin, { name: 'bad', publicKey: 'not a key' })).rejects.toMatchObject({
      code: 'INVALID',
    });
    await expect(
      addPublisherKey(t.db, testAdmin, { name: '../x', publicKey: makePublisherKey().publicKey }),
    ).rejects.toMatchObject({
      code: 'INVALID',
    });
    const revoked = await revokePublisherKey(t.db, testAdmin, 'ci-next');
    expect(revoked.revoked).toBe(true);
    expect((await revokePublisherKey(t.db, testAdmin, rotated.keyId)).revokedAt).toEqual(revoked.revokedAt);
    await expect(revokePublisherKey(t.db, testAdmin, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await listPublisherKeys(t.db)).map((k) => [k.name, k.revoked])).toEqual([
      ['ci-main', false],
      ['ci-next', true],
    ]);
  });

  it('publishes a signed version once all its artifacts are uploaded, and not before', async () => {
    const cpu = bytesOf('cpu');
    const gpu = bytesOf('gpu');
    const signed = signVersionForTest(ci, [
      targetFor(cpu, {
        smokeTest: {
          input: { input: { dtype: 'float32', shape: [1, 4], data: f32(1, 2, 3, 4) } },
          expectedOutput: { output: { dtype: 'float32', shape: [1, 2], data: f32(0, 1) } },
          tolerance: '0.0001',
        },
      }),
      targetFor(gpu, { accelerator: 'cuda', precision: 'fp16' }),
    ]);
    const created = await createVersion(deps(), testPublishToken, { signedMetadata: signed, changelog: 'first' });
    expect(created).toMatchObject({ model: 'detector', version: '1.0.0' });
    expect(created.uploads).toEqual([
      expect.objectContaining({
        path: 'models/detector/1.0.0/onnx-cpu-fp32',
        length: cpu.length,
        sha256: sha256Of(cpu),
      }),
      expect.objectContaining({
        path: 'models/detector/1.0.0/onnx-cuda-fp16',
        uploadUrl: `/api/registry/versions/${created.versionId}/artifacts/${sha256Of(gpu)}`,
      }),
    ]);
    expect(await listModels(t.db)).toEqual([]);

    expect(await upload(created.versionId, cpu)).toEqual({ published: false });
    await expect(getModel(t.db, 'detector')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // An interrupted publish resumes: only what is missing is asked for.
    const resumed = await createVersion(deps(), testPublishToken, { signedMetadata: signed });
    expect(resumed.versionId).toBe(created.versionId);
    expect(resumed.uploads.map((u) => u.sha256)).toEqual([sha256Of(gpu)]);
    expect(await upload(created.versionId, gpu)).toEqual({ published: true });
    expect(await upload(created.versionId, gpu)).toEqual({ published: true });

    expect(await listModels(t.db)).toEqual([
      expect.objectContaining({ name: 'detector', latestVersion: '1.0.0', versionCount: 1 }),
    ]);
    const model = await getModel(t.db, 'detector');
    expect(model.versions).toHaveLength(1);
    expect(model.versions[0]).toMatchObject({
      version: '1.0.0',
      changelog: 'first',
      publisherKey: { id: ci.keyId, name: 'ci-main', revoked: false },
      signatureVerified: true,
      sizeBytes: cpu.length + gpu.length,
      card: { opset: 17 },
    });
    expect(model.versions[0]?.artifacts.find((a) => a.accelerator === 'cpu')).toMatchObject({
      sha256: sha256Of(cpu),
      tensors: { inputs: [{ name: 'input', dtype: 'float32', shape: ['batch', 4] }] },
      smokeTest: { input: { input: { dtype: 'float32', shape: [1, 4], data: f32(1, 2, 3, 4) } }, tolerance: '0.0001' },
    });
    expect((await getSignedMetadata(t.db, 'detector', '1.0.0')).signedMetadata).toBe(signed);
    const blob = await store.open(sha256Of(gpu));
    expect(blob.size).toBe(gpu.length);
    blob.stream.resume();
  });

  it('refuses publishing the same version twice, changing nothing', async () => {
    const before = await snapshot();
    const again = signVersionForTest(ci, [targetFor(bytesOf('cpu, retrained'))]);
    await expect(createVersion(deps(), testPublishToken, { signedMetadata: again })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('immutable'),
    });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses unknown and revoked keys, bad semver and path-traversal names before writing anything', async () => {
    const before = await snapshot();
    const bytes = bytesOf('v2');
    const stranger = makePublisherKey();
    const revoked = makePublisherKey();
    await addPublisherKey(t.db, testAdmin, { name: 'old-ci', publicKey: revoked.publicKey });
    await revokePublisherKey(t.db, testAdmin, 'old-ci');
    const refusals: [string, string, RegExp][] = [
      [signVersionForTest(stranger, [targetFor(bytes, { version: '2.0.0' })]), 'FORBIDDEN', /unknown key/],
      [
        signVersionForTest(revoked, [targetFor(bytes, { version: '2.0.0' })]),
        'FORBIDDEN',
        /revoked publisher key old-ci/,
      ],
      [signVersionForTest(ci, [targetFor(bytes, { version: 'v2' })]), 'INVALID', /semver/],
      [signVersionForTest(ci, [targetFor(bytes, { model: '../x' })]), 'INVALID', /model names/],
      [signVersionForTest(ci, [targetFor(bytes, { model: 'a/b' })]), 'INVALID', /model names/],
      [signVersionForTest(ci, [targetFor(Buffer.alloc(0), { version: '2.0.0' })]), 'INVALID', /0-byte/],
    ];
    for (const [signedMetadata, code, message] of refusals) {
      await expect(createVersion(deps(), testPublishToken, { signedMetadata })).rejects.toMatchObject({
        code,
        message: expect.stringMatching(message),
      });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses bytes that differ from the signed hash or length, leaving the version invisible and the store clean', async () => {
    const real = bytesOf('v3');
    const claimed = bytesOf('v3, what was signed');
    const signed = signVersionForTest(ci, [targetFor(claimed, { version: '3.0.0' })]);
    const { versionId } = await createVersion(deps(), testPublishToken, { signedMetadata: signed });
    const before = await snapshot();
    // Hash differs (same length).
    const sameLength = Buffer.concat([real, Buffer.alloc(claimed.length - real.length)]);
    await expect(upload(versionId, sameLength, sha256Of(claimed))).rejects.toMatchObject({
      code: 'INVALID',
      message: expect.stringContaining('hash'),
    });
    // Length differs: a short (truncated) body, and a longer one.
    await expect(upload(versionId, claimed.subarray(0, 100), sha256Of(claimed))).rejects.toMatchObject({
      message: expect.stringContaining('truncated'),
    });
    await expect(
      upload(versionId, Buffer.concat([claimed, Buffer.from('x')]), sha256Of(claimed)),
    ).rejects.toMatchObject({ message: expect.stringContaining('longer') });
    // An artifact the version does not have.
    await expect(upload(versionId, real)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await snapshot()).toEqual(before);
    expect(before.versions.find((v) => v.id === versionId)?.status).toBe('uploading');
    expect((await getModel(t.db, 'detector')).versions.map((v) => v.version)).toEqual(['1.0.0']);

    // New metadata for the unpublished version replaces it; then the right bytes publish it.
    const fixed = signVersionForTest(ci, [targetFor(real, { version: '3.0.0' })]);
    const replaced = await createVersion(deps(), testPublishToken, { signedMetadata: fixed });
    expect(replaced.versionId).not.toBe(versionId);
    await expect(upload(versionId, real)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await upload(replaced.versionId, real)).toEqual({ published: true });
    expect((await getModel(t.db, 'detector')).versions.map((v) => v.version)).toEqual(['3.0.0', '1.0.0']);
  });

  it('skips uploads of bytes already stored, and stops uploads once the key is revoked', async () => {
    const shared = bytesOf('cpu');
    const signed = signVersionForTest(ci, [targetFor(shared, { version: '1.0.1' })]);
    const created = await createVersion(deps(), testPublishToken, { signedMetadata: signed });
    expect(created.uploads).toEqual([]);
    expect((await listModels(t.db))[0]).toMatchObject({ latestVersion: '3.0.0', versionCount: 3 });

    const late = makePublisherKey();
    await addPublisherKey(t.db, testAdmin, { name: 'late', publicKey: late.publicKey });
    const bytes = bytesOf('v4');
    const v4 = await createVersion(deps(), testPublishToken, {
      signedMetadata: signVersionForTest(late, [targetFor(bytes, { version: '4.0.0' })]),
    });
    await revokePublisherKey(t.db, testAdmin, 'late');
    await expect(upload(v4.versionId, bytes)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('revoked'),
    });
    expect(await store.has(sha256Of(bytes))).toBe(false);
  });
});
